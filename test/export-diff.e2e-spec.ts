import type { INestApplicationContext } from '@nestjs/common';
import { parquetReadObjects } from 'hyparquet';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { batchFiles, sortedRowsDigest } from './support/batch-files';
import { eventually } from './support/child-process';
import { Conformance } from './support/openapi-conformance';
import { ProfileStoreClient } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const UPS = '/data/core/ups';
const JOBS = `${UPS}/export/jobs`;
const DIFF = `${JOBS}/{id}/diff/{otherId}`;
const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';
const B1 = `ups:${S1}`;
const B2 = `ups:${S2}`;

const person = (who: string, membership: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  identityMap: { Email: [{ id: `${who}@x.io`, primary: true }] },
  person: { name: { firstName: who } },
  segmentMembership: { ups: membership },
  ...extra,
});
const realized = (at: string) => ({ status: 'realized', lastQualificationTime: at });

/**
 * Before: ann, bob, dan in S1; cat in S2. Then a second CRM batch: ann's points change (still in
 * S1), bob exits S1 (a newer exited entry), eve enters S1; cat and dan are untouched.
 */
const first = [
  person('ann', { [S1]: realized('2024-01-01T00:00:00Z') }, { loyalty: { points: 1 } }),
  person('bob', { [S1]: realized('2024-01-01T00:00:00Z') }),
  person('cat', { [S2]: realized('2024-01-01T00:00:00Z') }),
  person('dan', { [S1]: realized('2024-01-01T00:00:00Z') }),
];
const second = [
  { identityMap: { Email: [{ id: 'ann@x.io', primary: true }] }, loyalty: { points: 2 } },
  { identityMap: { Email: [{ id: 'bob@x.io', primary: true }] }, segmentMembership: { ups: { [S1]: { status: 'exited', lastQualificationTime: '2024-02-01T00:00:00Z' } } } },
  person('eve', { [S1]: realized('2024-02-01T00:00:00Z') }),
];

describe('GET /export/jobs/{id}/diff/{otherId}: per segment, the profiles that entered, exited, changed between two exports', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let check: Conformance;
  let crm: string;
  let store: ProfileStoreClient;
  const before: Record<string, any> = {};
  const after: Record<string, any> = {};

  const bodies: Record<string, { body: Record<string, unknown>; destination?: Record<string, unknown> }> = {
    segments: { body: { filter: { segments: [{ segmentId: S1 }, { segmentId: S2 }] } } },
    perBatch: { body: { filter: { segments: [{ segmentId: S2 }, { segmentId: S1 }] } }, destination: { segmentPerBatch: true } },
    all: { body: {} },
    parquet: { body: { filter: { segments: [{ segmentId: S1 }, { segmentId: S2 }] } }, destination: { outputFormat: 'parquet' } },
    parquetPerBatch: { body: { filter: { segments: [{ segmentId: S1 }, { segmentId: S2 }] } }, destination: { outputFormat: 'parquet', segmentPerBatch: true } },
    csv: { body: { fields: 'person.name.firstName' }, destination: { outputFormat: 'csv' } },
  };

  async function runJob(body: Record<string, unknown>, destination: Record<string, unknown> = {}) {
    const created = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ schema: { name: '_xdm.context.profile' }, ...body, destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl', ...destination } })
      .expect(200);
    let job = created.body;
    await eventually(async () => {
      job = (await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers()).expect(200)).body;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
    }, 60_000);
    expect(job.status).toBe('SUCCEEDED');
    return job;
  }

  const diff = (a: number, b: number, query = '') => check.conforming('get', DIFF, `${JOBS}/${a}/diff/${b}${query}`, { headers: client.headers() });

  beforeAll(async () => {
    env = await createTestEnv('diff');
    const config = env.config({ EXPORT_FILE_ROWS: '2' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod']);
    check = await Conformance.load(api);
    store = new ProfileStoreClient(api, client);
    crm = await store.createDataset('crm');
    await store.ingest(crm, first);
    for (const [name, { body, destination }] of Object.entries(bodies)) before[name] = await runJob(body, destination);
    await store.ingest(crm, second);
    for (const [name, { body, destination }] of Object.entries(bodies)) after[name] = await runJob(body, destination);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  it('counts per segment of the filters: id is before, otherId after', async () => {
    const res = await diff(before.segments.id, after.segments.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      before: { id: before.segments.id, rows: 4 },
      after: { id: after.segments.id, rows: 4 },
      segments: [
        { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 }, // eve in, bob out, ann's points, dan
        { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 }, // cat
      ],
    });
    // The other way round, entered and exited swap.
    expect((await diff(after.segments.id, before.segments.id)).body.segments).toEqual([
      { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 },
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
    ]);
    // An export against itself: nothing moved.
    expect((await diff(before.segments.id, before.segments.id)).body.segments).toEqual([
      { bucket: B1, entered: 0, exited: 0, changed: 0, unchanged: 3 },
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
    ]);
  });

  it('segmentPerBatch exports: the same counts, read batch by batch (buckets in the order of the before export)', async () => {
    const res = await diff(before.perBatch.id, after.perBatch.id);
    expect(res.body.segments).toEqual([
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
      { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 },
    ]);
    // A one-batch export and a segmentPerBatch one of the same segments can be diffed too.
    expect((await diff(before.segments.id, after.perBatch.id)).body.segments).toEqual([
      { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 },
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
    ]);
  });

  it('exports without segment filters: one bucket "*" (bob is still exported: his row changed)', async () => {
    const res = await diff(before.all.id, after.all.id);
    expect(res.body).toEqual({
      before: { id: before.all.id, rows: 4 },
      after: { id: after.all.id, rows: 5 },
      segments: [{ bucket: '*', entered: 1, exited: 0, changed: 2, unchanged: 2 }],
    });
  });

  it('409 for exports that cannot be diffed, saying why', async () => {
    const cases: Array<[number, number, RegExp]> = [
      [before.all.id, after.segments.id, /only exports of the same segments/],
      [before.segments.id, after.all.id, /only exports of the same segments/],
      [before.segments.id, after.parquet.id, /wrote jsonl and export job \d+ parquet: only exports of the same outputFormat/],
      [before.csv.id, after.csv.id, /CSV exports cannot be diffed/],
    ];
    for (const [a, b, detail] of cases) {
      const res = await diff(a, b);
      expect([res.status, res.body.detail]).toEqual([409, expect.stringMatching(detail)]);
    }
    await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [after.all.id]);
    try {
      const res = await diff(before.all.id, after.all.id);
      expect([res.status, res.body.detail]).toEqual([409, `Export job ${after.all.id} is FAILED: only SUCCEEDED exports can be diffed (they alone have committed rows).`]);
    } finally {
      await env.db.query(`UPDATE export_jobs SET status = 'SUCCEEDED' WHERE id = $1`, [after.all.id]);
    }
    // A batch reverted since: its rows are no longer the export's.
    await env.db.query(`UPDATE batches SET status = 'inactive' WHERE id = $1`, [after.all.destination.batchId]);
    try {
      const res = await diff(before.all.id, after.all.id);
      expect([res.status, res.body.detail]).toEqual([409, expect.stringMatching(/is inactive: only the committed batches/)]);
    } finally {
      await env.db.query(`UPDATE batches SET status = 'success' WHERE id = $1`, [after.all.destination.batchId]);
    }
    // A file gone from storage, found while the rows stream into Postgres: the COPY is abandoned.
    const file = await env.db.query(`SELECT id, storage_key FROM batch_files WHERE batch_id = $1 ORDER BY name DESC LIMIT 1`, [after.all.destination.batchId]);
    await env.db.query(`UPDATE batch_files SET storage_key = storage_key || '.gone' WHERE id = $1`, [file.rows[0].id]);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await diff(before.all.id, after.all.id);
        expect([res.status, res.body.detail]).toEqual([409, expect.stringMatching(/^File part-\d+\.jsonl of batch \w+ \(export job \d+\) is missing from storage\.$/)]);
      }
    } finally {
      await env.db.query(`UPDATE batch_files SET storage_key = $2 WHERE id = $1`, [file.rows[0].id, file.rows[0].storage_key]);
    }
    // Nothing was left behind: the same diff answers in full.
    expect((await diff(before.all.id, after.all.id)).body.segments).toEqual([{ bucket: '*', entered: 1, exited: 0, changed: 2, unchanged: 2 }]);
  });

  it('Parquet exports: keyed by their primaryNamespace and primaryId columns, rows compared by their profile bytes', async () => {
    const expected = [
      { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 },
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
    ];
    const res = await diff(before.parquet.id, after.parquet.id);
    expect(res.body).toEqual({ before: { id: before.parquet.id, rows: 4 }, after: { id: after.parquet.id, rows: 4 }, segments: expected });
    expect((await diff(before.parquetPerBatch.id, after.parquet.id)).body.segments).toEqual(expected);
    expect((await diff(after.parquetPerBatch.id, after.parquet.id)).body.segments).toEqual([
      { bucket: B1, entered: 0, exited: 0, changed: 0, unchanged: 3 },
      { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
    ]);
  });

  it('400 for a bad batch or id; 404 for a job of nobody or of another tenant', async () => {
    expect((await diff(before.all.id, after.all.id, '?batch=false')).status).toBe(200);
    const bad = await diff(before.all.id, after.all.id, '?batch=maybe');
    expect([bad.status, bad.body.errors]).toEqual([400, [{ path: 'batch', message: 'must be true or false' }]]);
    const badId = await api.http.get(`${JOBS}/${before.all.id}/diff/abc`).set(client.headers()).expect(400);
    expect(badId.body.errors).toEqual([{ path: 'otherId', message: 'must be a whole number from 1 to 2147483647' }]);
    expect((await diff(before.all.id, 2147483647)).status).toBe(404);
    const stranger = await api.client(ORG_B, ['prod']);
    const res = await api.http.get(`${JOBS}/${before.all.id}/diff/${after.all.id}`).set(stranger.headers()).expect(404);
    expect(res.body.detail).toBe(`Export job ${before.all.id} does not exist.`);
  });

  describe('?batch=true: the entered, exited and changed profiles as a batch', () => {
    async function finished(id: number) {
      let job: any;
      await eventually(async () => {
        job = (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
      }, 60_000);
      return job;
    }
    /** The rows of an export's batches by profile key (JSON Lines: identityMap's primary Email). */
    async function jsonlRowsByKey(job: any): Promise<Map<string, string>> {
      const rows = new Map<string, string>();
      for (const line of (await sortedRowsDigest(api, client, job.destination.batchId)).lines) rows.set(JSON.parse(line).identityMap.Email[0].id, line);
      return rows;
    }
    const withDiff = (line: string, change: string, bucket: string) => `${line.slice(0, -1)},"_diff":${JSON.stringify({ change, bucket })}}`;

    it("JSON Lines: one job per pair of exports; each row the export's row byte for byte plus _diff, in bucket, change, key order", async () => {
      const first = await diff(before.segments.id, after.segments.id, '?batch=true');
      expect(first.status).toBe(200);
      expect(first.body.segments).toEqual([
        { bucket: B1, entered: 1, exited: 1, changed: 1, unchanged: 1 },
        { bucket: B2, entered: 0, exited: 0, changed: 0, unchanged: 1 },
      ]);
      expect(first.body.batch).toEqual({ exportJobId: expect.any(Number), status: expect.stringMatching(/^(NEW|PROCESSING|SUCCEEDED)$/) });
      const jobId = first.body.batch.exportJobId;
      const job = await finished(jobId);
      expect(job).toMatchObject({
        status: 'SUCCEEDED',
        diffOf: { beforeJobId: before.segments.id, afterJobId: after.segments.id },
        destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' },
      });
      expect(job.metrics.totalExportedProfileCounter).toBe(3);
      expect(job.metrics.exportedProfileByNamespaceCounter).toEqual({ Email: 3 });
      // Asked again: the same job, now with its batch.
      const again = await diff(before.segments.id, after.segments.id, '?batch=true');
      expect(again.body.batch).toEqual({ exportJobId: jobId, status: 'SUCCEEDED', batchId: job.destination.batchId });

      const was = await jsonlRowsByKey(before.segments);
      const now = await jsonlRowsByKey(after.segments);
      const { lines, names } = await sortedRowsDigest(api, client, job.destination.batchId);
      expect(names).toEqual(['part-00000.jsonl', 'part-00001.jsonl']); // EXPORT_FILE_ROWS is 2
      const files = await batchFiles(api, client, job.destination.batchId);
      const written = files.flatMap((f) => f.bytes.toString().split('\n').filter(Boolean));
      expect(written).toEqual([withDiff(now.get('ann@x.io')!, 'changed', B1), withDiff(now.get('eve@x.io')!, 'entered', B1), withDiff(was.get('bob@x.io')!, 'exited', B1)]);
      expect(lines).toHaveLength(3);

      // The manifest adds the pair and the counts; the CLI's check of a batch holds for it.
      const manifest = (
        await check.conforming('get', '/data/foundation/export/batches/{batchId}/manifest', `/data/foundation/export/batches/${job.destination.batchId}/manifest`, {
          headers: client.headers(),
        })
      ).body;
      expect(manifest).toMatchObject({ jobId, totals: { rows: 3, files: 2 }, counts: { profiles: 3, byNamespace: { Email: 3 } } });
      expect(manifest.diff).toEqual({ beforeJobId: before.segments.id, afterJobId: after.segments.id, segments: first.body.segments });
      // A diff's batch is no export of segments: it cannot be diffed itself.
      const nested = await diff(jobId, jobId);
      expect([nested.status, nested.body.detail]).toEqual([409, expect.stringMatching(/wrote the batch of a diff/)]);
    });

    it('asked for at once, one pair gets one job; a failed one gives way to a new job', async () => {
      const answers = await Promise.all([1, 2].map(() => diff(before.all.id, after.all.id, '?batch=true')));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      const ids = new Set(answers.map((a) => a.body.batch.exportJobId));
      expect(ids.size).toBe(1);
      const [jobId] = [...ids];
      const job = await finished(jobId);
      expect(job.status).toBe('SUCCEEDED');
      // Without segment filters: one bucket "*": eve entered, ann and bob changed.
      const rows = (await sortedRowsDigest(api, client, job.destination.batchId)).lines.map((l) => JSON.parse(l));
      expect(rows.map((r) => [r._diff.bucket, r._diff.change, r.identityMap.Email[0].id])).toEqual([
        ['*', 'changed', 'ann@x.io'],
        ['*', 'changed', 'bob@x.io'],
        ['*', 'entered', 'eve@x.io'],
      ]);
      const count = await env.db.query(`SELECT count(*)::int AS n FROM export_jobs WHERE diff_before_job_id = $1 AND diff_after_job_id = $2`, [before.all.id, after.all.id]);
      expect(count.rows[0].n).toBe(1);
      // Once that job has failed, asking again makes a new one.
      await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [jobId]);
      const next = await diff(before.all.id, after.all.id, '?batch=true');
      expect(next.body.batch.exportJobId).not.toBe(jobId);
      const nextJob = await finished(next.body.batch.exportJobId);
      expect(nextJob.status).toBe('SUCCEEDED');
      // Its batch reverted since: that job is set aside (deleted) and the pair gets a new one.
      await env.db.query(`UPDATE batches SET status = 'inactive' WHERE id = $1`, [nextJob.destination.batchId]);
      const third = await diff(before.all.id, after.all.id, '?batch=true');
      expect(third.body.batch.exportJobId).not.toBe(nextJob.id);
      expect((await finished(third.body.batch.exportJobId)).status).toBe('SUCCEEDED');
      expect((await api.http.get(`${JOBS}/${nextJob.id}`).set(client.headers())).status).toBe(404);
    });

    it('Parquet: the rows in the id columns and the profile column (its bytes plus _diff)', async () => {
      const res = await diff(before.parquet.id, after.parquet.id, '?batch=true');
      const job = await finished(res.body.batch.exportJobId);
      expect(job.status).toBe('SUCCEEDED');
      expect(job.destination.outputFormat).toBe('parquet');
      const readRows = async (batchId: string) => {
        const out: Array<{ primaryNamespace: string; primaryId: string; profile: string }> = [];
        for (const f of await batchFiles(api, client, batchId)) {
          const buffer = new Uint8Array(f.bytes).buffer;
          const rows = (await parquetReadObjects({ file: buffer, parsers: { jsonFromBytes: (b: Uint8Array) => Buffer.from(b).toString('utf8') } })) as any[];
          out.push(...rows);
        }
        return out;
      };
      const was = new Map((await readRows(before.parquet.destination.batchId)).map((r) => [r.primaryId, r.profile]));
      const now = new Map((await readRows(after.parquet.destination.batchId)).map((r) => [r.primaryId, r.profile]));
      expect(await readRows(job.destination.batchId)).toEqual([
        { primaryNamespace: 'Email', primaryId: 'ann@x.io', profile: withDiff(now.get('ann@x.io')!, 'changed', B1) },
        { primaryNamespace: 'Email', primaryId: 'eve@x.io', profile: withDiff(now.get('eve@x.io')!, 'entered', B1) },
        { primaryNamespace: 'Email', primaryId: 'bob@x.io', profile: withDiff(was.get('bob@x.io')!, 'exited', B1) },
      ]);
    });

    it("an export deleted before its diff's batch ran: the job FAILS, naming it", async () => {
      // No worker while the job is asked for and the export deleted, so that the job runs after.
      await worker.close();
      let jobId: number;
      try {
        const res = await diff(before.perBatch.id, after.perBatch.id, '?batch=true');
        expect(res.body.batch.status).toBe('NEW');
        jobId = res.body.batch.exportJobId;
        await env.db.query(`UPDATE export_jobs SET deleted_at = now() WHERE id = $1`, [before.perBatch.id]);
      } finally {
        worker = await startWorker(env.config({ EXPORT_FILE_ROWS: '2' }));
      }
      try {
        const job = await finished(jobId);
        expect(job.status).toBe('FAILED');
        expect(job.errors[0].msg).toBe(`The diff's batch cannot be written: Export job ${before.perBatch.id} does not exist any more.`);
        // Refused before any batch was started.
        const batches = await env.db.query(`SELECT status FROM batches WHERE export_job_id = $1`, [jobId]);
        expect(batches.rows).toEqual([]);
      } finally {
        await env.db.query(`UPDATE export_jobs SET deleted_at = NULL WHERE id = $1`, [before.perBatch.id]);
      }
    });
  });
});
