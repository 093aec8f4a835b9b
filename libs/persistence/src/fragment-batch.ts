import type { Readable } from 'node:stream';
import { CopyBinaryBatch, copyBinaryBatches } from './copy-out';

export interface FragmentOut {
  key: string;
  /** `namespace:id` of the fragment's primary identity. */
  primaryIdentity: string;
  /** `[{id, namespace: {code}, primary}]` of the fragment when the plan asked for it and it is stored. */
  identitiesJson?: string;
  /**
   * Byte offset in the stored text of the record's top-level `"segmentMembership"` key, -1 when it
   * has none, when the plan asked for it and it is stored.
   */
  membershipAt?: number;
  datasetId: string;
  recordTime: number;
  ingestTime: number;
  /** The stored record's JSON text (decoded on first use). */
  readonly json: string;
  /** The same text as UTF-8 bytes, as Postgres sent them (a view into the chunk read). */
  readonly jsonBytes: Buffer;
}

/** A fragment whose text is decoded only if something asks for it as a string. */
class StoredFragment implements FragmentOut {
  private text?: string;
  constructor(
    readonly key: string,
    readonly primaryIdentity: string,
    readonly identitiesJson: string | undefined,
    readonly membershipAt: number | undefined,
    readonly datasetId: string,
    readonly recordTime: number,
    readonly ingestTime: number,
    readonly jsonBytes: Buffer,
  ) {}

  get json(): string {
    return (this.text ??= this.jsonBytes.toString('utf8'));
  }
}

/** The fragment columns of ProfileReadSql, in order. */
const Column = { Key: 0, PrimaryIdentity: 1, IdentitiesJson: 2, MembershipAt: 3, DatasetId: 4, RecordTime: 5, IngestTime: 6, Record: 7 } as const;
const COLUMNS = 8;

/**
 * The fragment rows of one chunk read, where they lie in it: a profile written from its stored
 * bytes (the export's fast path) is compared, sliced and copied without a string or an object of
 * its own. `fragment(r)` makes the object a merge needs. Views are valid while the batch is referenced.
 */
export class FragmentBatch {
  constructor(private readonly b: CopyBinaryBatch) {}

  get rows(): number {
    return this.b.rows;
  }

  /** Whether row `r` has the same profile key as row `otherRow` of `other` (this batch or another). */
  sameKey(r: number, other: FragmentBatch, otherRow: number): boolean {
    return this.b.sameValue(r, Column.Key, other.b, otherRow);
  }

  /** The stored record's bytes. */
  record(r: number): Buffer {
    return this.b.bytes(r, Column.Record)!;
  }

  /** The stored `identities` JSON, when the plan asked for it and the row has it. */
  identitiesJson(r: number): Buffer | undefined {
    return this.b.bytes(r, Column.IdentitiesJson) ?? undefined;
  }

  membershipAt(r: number): number | undefined {
    return this.b.integer(r, Column.MembershipAt) ?? undefined;
  }

  ingestTime(r: number): number {
    return this.b.timestampMs(r, Column.IngestTime)!;
  }

  /** `namespace:id` of the fragment's primary identity, as bytes (the key when the key is it). */
  primaryIdentity(r: number): Buffer {
    return this.b.bytes(r, Column.PrimaryIdentity) ?? this.b.bytes(r, Column.Key)!;
  }

  /** Row `r` as the object the merge path reads. */
  fragment(r: number): FragmentOut {
    const b = this.b;
    const key = b.text(r, Column.Key)!;
    return new StoredFragment(
      key,
      b.text(r, Column.PrimaryIdentity) ?? key,
      b.text(r, Column.IdentitiesJson) ?? undefined,
      b.integer(r, Column.MembershipAt) ?? undefined,
      b.text(r, Column.DatasetId)!,
      b.timestampMs(r, Column.RecordTime)!,
      b.timestampMs(r, Column.IngestTime)!,
      b.bytes(r, Column.Record)!,
    );
  }
}

/** A COPY stream's fragment rows (columns as in ProfileReadSql), a batch per chunk read. */
export async function* fragmentBatchesOf(stream: Readable): AsyncGenerator<FragmentBatch> {
  for await (const b of copyBinaryBatches(stream, COLUMNS)) yield new FragmentBatch(b);
}

/** The same rows as objects, a batch per chunk read. */
export async function* fragmentObjectsOf(batches: AsyncIterable<FragmentBatch>): AsyncGenerator<FragmentOut[]> {
  for await (const batch of batches) {
    const out = new Array<FragmentOut>(batch.rows);
    for (let r = 0; r < batch.rows; r++) out[r] = batch.fragment(r);
    yield out;
  }
}
