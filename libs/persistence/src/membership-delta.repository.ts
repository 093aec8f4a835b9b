import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TenantScope } from '@sx/domain';
import { BulkPool, inPoolTransaction } from './bulk-pool';
import { copyField } from './copy-text';
import { translateStoreError, withStoreErrors } from './store-errors';

/** One membership change an evaluation run found (memberships.md 4: only deltas are written). */
export interface MembershipDelta {
  segmentNs: string;
  segmentId: string;
  /** The profile's key under identity graph `none` (`ns:id`), its primaryIdentity under `pdg`. */
  identity: string;
  status: 'realized' | 'exited';
  lastQualificationTimeMs: number;
}

/**
 * The apply step's SQL ($1 run id, $2 attempt token, $3 org, $4 sandbox): upsert the attempt's
 * staged deltas, latest lastQualificationTime wins, a tie goes to the evaluated row. Exported so
 * that a commit on another client (the export's, through Prisma) runs the very same statement.
 */
export const APPLY_DELTAS_SQL = `INSERT INTO segment_memberships AS m (org_id, sandbox_name, segment_ns, segment_id, identity, status, last_qualification_time, evaluated)
       SELECT DISTINCT ON (d.segment_ns, d.segment_id, d.identity)
              $3, $4, d.segment_ns, d.segment_id, d.identity, d.status, d.last_qualification_time, true
         FROM membership_deltas d
        WHERE d.run_id = $1 AND d.attempt_token = $2::uuid
        ORDER BY d.segment_ns, d.segment_id, d.identity, d.last_qualification_time DESC
       ON CONFLICT (org_id, sandbox_name, segment_ns, segment_id, identity) DO UPDATE
          SET status = EXCLUDED.status, last_qualification_time = EXCLUDED.last_qualification_time, evaluated = true
        WHERE m.last_qualification_time <= EXCLUDED.last_qualification_time`;

/** Drops every staged row of a run ($1), any attempt. */
export const DISCARD_RUN_SQL = 'DELETE FROM membership_deltas WHERE run_id = $1';

/** Rows buffered before they are written to the COPY stream. */
const FLUSH_BYTES = 256 * 1024;

/**
 * A COPY into membership_deltas for one attempt; `write` buffers, `finish` ends the COPY. A failed
 * write fails the COPY at once so the connection is never left inside it.
 */
export class DeltaStager {
  private buffer = '';
  private copyError?: Error;
  private staged = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
    private readonly attemptToken: string,
    private readonly onEnd: (ok: boolean) => void,
  ) {
    this.copy = client.query(copyFrom('COPY membership_deltas (run_id, attempt_token, segment_ns, segment_id, identity, status, last_qualification_time) FROM STDIN'));
    this.done = new Promise<void>((resolve, reject) => {
      this.copy.on('finish', resolve);
      this.copy.on('error', (e: Error) => {
        this.copyError = e;
        reject(e);
      });
    });
    this.done.catch(() => undefined);
  }

  private readonly copy: ReturnType<typeof copyFrom>;

  get count(): number {
    return this.staged;
  }

  async write(d: MembershipDelta): Promise<void> {
    if (this.copyError) throw this.copyError;
    this.buffer += `${copyField(this.runId)}\t${this.attemptToken}\t${copyField(d.segmentNs)}\t${copyField(d.segmentId)}\t${copyField(d.identity)}\t${d.status}\t${new Date(d.lastQualificationTimeMs).toISOString()}\n`;
    this.staged++;
    if (this.buffer.length >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.buffer) return;
    const ok = this.copy.write(this.buffer);
    this.buffer = '';
    if (!ok)
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        this.copy.once('error', onError);
        this.copy.once('drain', () => {
          this.copy.off('error', onError);
          resolve();
        });
      });
  }

  async finish(): Promise<number> {
    try {
      await this.flush();
      this.copy.end();
      await this.done;
      this.onEnd(true);
      return this.staged;
    } catch (e) {
      this.onEnd(false);
      return translateStoreError(e);
    }
  }

  /** Stops the COPY (nothing staged by it stays) and gives the connection up. */
  abort(): void {
    if (!this.copyError) this.copy.destroy(new Error('delta staging aborted'));
    this.onEnd(false);
  }
}

/**
 * Staging and applying evaluated memberships (memberships.md 5). An evaluation run stages its
 * deltas under (runId, attemptToken) while it runs, then applies them in ONE transaction at its
 * end: upsert into segment_memberships with evaluated = true (latest lastQualificationTime wins,
 * a tie goes to the evaluated row), staged rows deleted. A failed or cancelled run applies nothing.
 *
 * `applyIn` runs inside a caller's own transaction (the export commit, for one), on a pg client
 * that has already said BEGIN; `apply` opens its own.
 */
@Injectable()
export class MembershipDeltaRepository {
  constructor(private readonly pool: BulkPool) {}

  /** Drops every staged row of the run that another attempt wrote (a killed attempt's leftovers). */
  async discardOtherAttempts(runId: string, attemptToken: string): Promise<number> {
    return withStoreErrors(async () => {
      const r = await this.pool.query('DELETE FROM membership_deltas WHERE run_id = $1 AND attempt_token <> $2::uuid', [runId, attemptToken]);
      return r.rowCount ?? 0;
    });
  }

  /** Drops every staged row of the run (a failed or cancelled run, or the reconciler's cleanup). */
  async discardRun(runId: string): Promise<void> {
    await withStoreErrors(() => this.pool.query('DELETE FROM membership_deltas WHERE run_id = $1', [runId]));
  }

  /**
   * Opens a COPY for this attempt's deltas; its own rows from an earlier stage of the same attempt
   * stay (an attempt may stage in several passes, one per merge policy).
   */
  async stage(runId: string, attemptToken: string): Promise<DeltaStager> {
    return withStoreErrors(async () => {
      const client = await this.pool.connect();
      client.on('error', () => undefined);
      let released = false;
      return new DeltaStager(client, runId, attemptToken, (ok) => {
        if (released) return;
        released = true;
        client.release(!ok); // a connection whose COPY failed is not reused
      });
    });
  }

  /** Applies the attempt's staged deltas in one transaction of its own; returns the rows applied. */
  async apply(runId: string, attemptToken: string, scope: TenantScope): Promise<number> {
    return inPoolTransaction(this.pool, (client) => this.applyIn(client, runId, attemptToken, scope));
  }

  /**
   * The apply step inside the caller's open transaction (`client` has said BEGIN; the caller
   * commits). Other attempts' rows are dropped too, so nothing of the run is left staged.
   */
  async applyIn(client: PoolClient, runId: string, attemptToken: string, scope: TenantScope): Promise<number> {
    const applied = await client.query(APPLY_DELTAS_SQL, [runId, attemptToken, scope.orgId, scope.sandboxName]);
    await client.query(DISCARD_RUN_SQL, [runId]);
    return applied.rowCount ?? 0;
  }
}
