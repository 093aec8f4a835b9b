import type { SplicedRecord } from '@sx/export';
import type { ExportRow } from './writers/row-writer';

const COLON = 0x3a;

/**
 * The row of a profile written from a fragment batch's bytes (export-pipeline.ts), one object
 * reused for every such row: the sink reads it before the pipeline goes on, as it reads the parts'
 * views. Its namespace comes from a one-entry cache (consecutive profiles mostly share one) and
 * its id is decoded only if a writer asks for it (Parquet's column; JSON Lines never does).
 */
export class BatchRow implements ExportRow {
  primaryNamespace = '';
  profileParts?: SplicedRecord;
  private identity: Buffer = Buffer.alloc(0);
  private idStart = 0;
  private lastNamespace: Buffer = Buffer.alloc(0);

  /** Points the row at a profile: `identity` is its primary identity's `namespace:id` bytes. */
  set(identity: Buffer, parts: SplicedRecord): this {
    const colon = identity.indexOf(COLON);
    const end = colon < 0 ? identity.length : colon;
    if (end !== this.lastNamespace.length || identity.compare(this.lastNamespace, 0, end, 0, end) !== 0) {
      // A copy: a view would keep the whole chunk it came from alive.
      this.lastNamespace = Buffer.from(identity.subarray(0, end));
      this.primaryNamespace = this.lastNamespace.toString('utf8');
    }
    this.identity = identity;
    this.idStart = colon < 0 ? identity.length : colon + 1;
    this.profileParts = parts;
    return this;
  }

  get primaryId(): string {
    return this.identity.toString('utf8', this.idStart);
  }
}
