import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { INestApplicationContext } from '@nestjs/common';
import type { Response } from 'superagent';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { CATALOG, DATA_ACCESS, IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const lines = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
/** Collects a response body as bytes, whatever its content type. */
const bytes = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/**
 * Compatibility of batch ingestion (/data/foundation/import) and Data Access
 * (/data/foundation/export) with AEP's documented requests: bodies, query strings, status codes,
 * envelopes and field types (../shared/spec/AEP-API-NOTES.md sections 7 and 8).
 */
describe('AEP batch ingestion and Data Access compatibility', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let store: ProfileStoreClient;
  let worker: INestApplicationContext;
  let crm: string;

  beforeAll(async () => {
    env = await createTestEnv('aep-ingest');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config());
    client = await api.client(ORG_A, ['prod', 'dev']);
    store = new ProfileStoreClient(api, client);
    crm = await store.createDataset('aep crm');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const h = () => client.headers();
  const count = async (table: string, where: string, params: unknown[]) =>
    (await env.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;
  const filePath = (batchId: string, name: string, dataset = crm) => `${IMPORT}/batches/${batchId}/datasets/${dataset}/files/${name}`;
  const patch = (batchId: string, name: string, range: string | undefined, body: Buffer) => {
    const req = api.http.patch(filePath(batchId, name)).set(h()).set('Content-Type', 'application/octet-stream');
    if (range !== undefined) req.set('Content-Range', range);
    return req.send(body);
  };

  describe('POST /batches', () => {
    it("takes aepp's body (format in any case, isMultiLineJson, diagnostics, partial ingestion, tags, externalId, replay) and answers AEP's 201", async () => {
      const res = await api.http
        .post(`${IMPORT}/batches`)
        .set(h())
        .send({
          datasetId: crm,
          inputFormat: { format: 'JSON', isMultiLineJson: false },
          enableErrorDiagnostics: true,
          partialIngestionPercentage: 5,
          tags: { source: ['crm'], owner: ['team-a', 'team-b'] },
          externalId: 'nightly-2024-07-01',
          replay: { predecessors: ['0'.repeat(32)], reason: 'replace' },
        })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        imsOrg: ORG_A,
        sandboxId: 'prod',
        status: 'loading',
        created: expect.any(Number),
        updated: expect.any(Number),
        relatedObjects: [{ type: 'dataSet', id: crm }],
        inputFormat: { format: 'json', isMultiLineJson: false },
        version: '1.0.0',
        tags: { source: ['crm'], owner: ['team-a', 'team-b'] },
        externalId: 'nightly-2024-07-01',
        replay: { predecessors: ['0'.repeat(32)], reason: 'replace' },
      });
      // An action answers the batch with what its POST stored.
      const aborted = await api.http.post(`${IMPORT}/batches/${res.body.id}?action=abort`).set(h()).expect(200);
      expect(aborted.body).toMatchObject({ status: 'aborted', tags: { source: ['crm'] }, externalId: 'nightly-2024-07-01', inputFormat: { format: 'json' } });
    });

    it.each([
      [{ format: 'json' }, { partialIngestionPercent: 10 }],
      [{ format: 'Json', isMultiLineJson: true, delimiter: ',', quote: '"', escape: '\\', header: true, charset: 'UTF-8' }, {}],
    ])('accepts inputFormat %j with %j', async (inputFormat, extra) => {
      const res = await api.http
        .post(`${IMPORT}/batches`)
        .set(h())
        .send({ datasetId: crm, inputFormat, ...extra })
        .expect(201);
      expect(res.body.inputFormat.format).toBe('json');
      expect(res.body.tags).toEqual({});
    });

    it.each([
      [{ inputFormat: { format: 'json', isMultiLineJson: 'yes' } }, 'inputFormat.isMultiLineJson'],
      [{ inputFormat: { format: 'Parquet' } }, 'inputFormat.format'],
      [{ inputFormat: { format: 'json', multiLine: true } }, 'inputFormat.multiLine'],
      [{ inputFormat: { format: 'json' }, enableErrorDiagnostics: 'true' }, 'enableErrorDiagnostics'],
      [{ inputFormat: { format: 'json' }, partialIngestionPercentage: 150 }, 'partialIngestionPercentage'],
      [{ inputFormat: { format: 'json' }, partialIngestionPercentage: '5' }, 'partialIngestionPercentage'],
      [{ inputFormat: { format: 'json' }, tags: { source: 'crm' } }, 'tags'],
      [{ inputFormat: { format: 'json' }, replay: { predecessors: 'x' } }, 'replay.predecessors'],
      [{ inputFormat: { format: 'json' }, externalID: 'typo' }, 'externalID'],
    ])('400 for %j naming %s', async (body, path) => {
      const res = await api.http
        .post(`${IMPORT}/batches`)
        .set(h())
        .send({ datasetId: crm, ...body })
        .expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    });

    it('ingests multi-line JSON (isMultiLineJson: true, a pretty-printed array) and completes with a lowercase action', async () => {
      const batchId = (
        await api.http
          .post(`${IMPORT}/batches`)
          .set(h())
          .send({ datasetId: crm, inputFormat: { format: 'json', isMultiLineJson: true } })
          .expect(201)
      ).body.id;
      await store.upload(batchId, crm, 'pretty.json', JSON.stringify([profile('ml1'), profile('ml2')], null, 4)).expect(201);
      const res = await api.http.post(`${IMPORT}/batches/${batchId}?action=complete`).set(h()).expect(200);
      expect(res.body.status).toBe('staging');
      expect(await store.settled(batchId)).toMatchObject({ status: 'success', metrics: { recordsWritten: 2 } });
    });

    it('answers a small-file PUT 201 when it creates the file and 200 when it replaces it (the replacement is what gets ingested)', async () => {
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'again.json', lines([profile('rp-old1'), profile('rp-old2')])).expect(201);
      await store.upload(batchId, crm, 'again.json', lines([profile('rp-new')])).expect(200);
      await store.upload(batchId, crm, 'other.json', lines([profile('rp-other')])).expect(201);
      expect(await store.finish(batchId)).toMatchObject({ status: 'success', metrics: { recordsWritten: 2 } });
    });

    it('refuses an unknown action naming the four', async () => {
      const batchId = await store.createBatch(crm);
      const res = await api.http.post(`${IMPORT}/batches/${batchId}?action=publish`).set(h()).expect(400);
      expect(res.body.errors).toEqual([{ path: 'action', message: 'must be one of COMPLETE, ABORT, FAIL, REVERT (any case)' }]);
    });

    it('refuses other query parameters of the ?action= POSTs (batch and large file) naming them, and a missing action', async () => {
      const batchId = await store.createBatch(crm);
      const typo = await api.http.post(`${IMPORT}/batches/${batchId}?action=COMPLETE&acton=x`).set(h()).expect(400);
      expect(typo.body.errors).toEqual([expect.objectContaining({ path: 'acton' })]);
      const file = `${IMPORT}/batches/${batchId}/datasets/${crm}/files/big.json`;
      const extra = await api.http.post(`${file}?action=INITIALIZE&size=10`).set(h()).expect(400);
      expect(extra.body.errors).toEqual([expect.objectContaining({ path: 'size' })]);
      const none = await api.http.post(file).set(h()).expect(400);
      expect(none.body.errors).toEqual([expect.objectContaining({ path: 'action' })]);
      expect((await store.batch(batchId)).status).toBe('loading');
    });
  });

  describe('large files in chunks', () => {
    const records = Array.from({ length: 300 }, (_, i) => profile(`big${i}`, { pad: 'x'.repeat(200) }));
    const content = Buffer.from(lines(records));

    it('INITIALIZE, chunks PATCHed out of order, HEAD, COMPLETE; the batch COMPLETE ingests the file', async () => {
      const batchId = await store.createBatch(crm);
      const init = await api.http
        .post(`${filePath(batchId, 'big.json')}?action=INITIALIZE`)
        .set(h())
        .expect(201);
      expect(init.body).toEqual({ name: 'big.json', sizeInBytes: 0 });
      const total = content.length;
      const cuts = [0, 20_000, 45_000, total];
      const ranges = [2, 0, 1].map((i) => ({ start: cuts[i], end: cuts[i + 1] - 1 }));
      const sent: number[] = [];
      for (const [n, r] of ranges.entries()) {
        // AEP documents `bytes a-b`; `/total` is accepted too.
        const header = n === 1 ? `bytes ${r.start}-${r.end}` : `bytes ${r.start}-${r.end}/${total}`;
        const res = await patch(batchId, 'big.json', header, content.subarray(r.start, r.end + 1)).expect(200);
        sent.push(r.end - r.start + 1);
        expect(res.body).toEqual({ name: 'big.json', sizeInBytes: sent.reduce((a, b) => a + b, 0) });
      }
      // A chunk sent again (a retry) replaces its first copy.
      await patch(batchId, 'big.json', `bytes 0-19999/${total}`, content.subarray(0, 20_000)).expect(200);
      const during = await api.http.head(filePath(batchId, 'big.json')).set(h()).expect(200);
      expect(during.headers['content-length']).toBe(String(total));
      // The batch cannot complete while a large file is open.
      await store.complete(batchId).expect(409);

      const done = await api.http
        .post(`${filePath(batchId, 'big.json')}?action=complete`)
        .set(h())
        .expect(201);
      expect(done.body).toEqual({ name: 'big.json', sizeInBytes: total });
      const after = await api.http.head(filePath(batchId, 'big.json')).set(h()).expect(200);
      expect(after.headers['content-length']).toBe(String(total));
      // Completed: no more chunks for it.
      await patch(batchId, 'big.json', 'bytes 0-0', Buffer.from('x')).expect(404);

      const batch = await store.finish(batchId);
      expect(batch).toMatchObject({ status: 'success', metrics: { recordsWritten: records.length } });
      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200);
      expect(files.body.data).toHaveLength(1);
      expect(files.body.data[0].size).toBe(String(total));
      const download = await api.http.get(`${DATA_ACCESS}/files/${files.body.data[0].dataSetFileId}?path=big.json`).set(h()).buffer(true).parse(bytes).expect(200);
      expect((download.body as Buffer).equals(content)).toBe(true);
    });

    it('streams chunks to storage and stitches them with bounded memory (2 x 64 MiB)', async () => {
      const batchId = await store.createBatch(crm);
      await api.http
        .post(`${filePath(batchId, 'huge.json')}?action=INITIALIZE`)
        .set(h())
        .expect(201);
      const server = api.app.getHttpServer() as import('node:http').Server;
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const chunkBytes = 64 * 1024 * 1024;
      const piece = Buffer.alloc(1024 * 1024, 0x20);
      const sendChunk = (start: number) =>
        new Promise<number>((resolve, reject) => {
          let left = chunkBytes;
          const body = new Readable({
            read() {
              if (left <= 0) return this.push(null);
              left -= piece.length;
              this.push(piece);
            },
          });
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'PATCH',
              path: filePath(batchId, 'huge.json'),
              headers: { ...h(), 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${start}-${start + chunkBytes - 1}/${2 * chunkBytes}` },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          body.pipe(req);
        });
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        expect(await sendChunk(chunkBytes)).toBe(200);
        expect(await sendChunk(0)).toBe(200);
        const done = await api.http
          .post(`${filePath(batchId, 'huge.json')}?action=COMPLETE`)
          .set(h())
          .expect(201);
        expect(done.body).toEqual({ name: 'huge.json', sizeInBytes: 2 * chunkBytes });
      } finally {
        clearInterval(sampler);
      }
      // 128 MiB went through; less than one chunk was ever held (about 40 MiB of growth is usual).
      expect(peak - baseline).toBeLessThan(chunkBytes);
      const stored = await env.db.query(`SELECT size_bytes FROM batch_files WHERE batch_id = $1 AND name = 'huge.json'`, [batchId]);
      expect(Number(stored.rows[0].size_bytes)).toBe(2 * chunkBytes);
      await api.http.post(`${IMPORT}/batches/${batchId}?action=ABORT`).set(h()).expect(200);
    }, 60_000);

    it('refuses COMPLETE with a gap or an overlap, naming the bytes; the batch keeps loading', async () => {
      const batchId = await store.createBatch(crm);
      await api.http
        .post(`${filePath(batchId, 'gap.json')}?action=INITIALIZE`)
        .set(h())
        .expect(201);
      await patch(batchId, 'gap.json', 'bytes 0-9/30', content.subarray(0, 10)).expect(200);
      await patch(batchId, 'gap.json', 'bytes 20-29/30', content.subarray(20, 30)).expect(200);
      const gap = await api.http
        .post(`${filePath(batchId, 'gap.json')}?action=COMPLETE`)
        .set(h())
        .expect(400);
      expect(gap.body.errors).toEqual([{ path: 'Content-Range', message: 'bytes 10-19 are missing' }]);

      await patch(batchId, 'gap.json', 'bytes 5-24/30', content.subarray(5, 25)).expect(200);
      const overlap = await api.http
        .post(`${filePath(batchId, 'gap.json')}?action=COMPLETE`)
        .set(h())
        .expect(400);
      expect(overlap.body.errors).toEqual([
        { path: 'Content-Range', message: 'bytes 5-9 were sent more than once (overlapping chunks)' },
        { path: 'Content-Range', message: 'bytes 20-24 were sent more than once (overlapping chunks)' },
      ]);
      expect((await store.batch(batchId)).status).toBe('loading');
      expect(await count('batch_files', 'batch_id = $1', [batchId])).toBe(0);
    });

    it('validates each chunk: Content-Range required and well formed, body and Content-Length of its size, file initialized', async () => {
      const batchId = await store.createBatch(crm);
      await patch(batchId, 'new.json', 'bytes 0-3', Buffer.from('abcd')).expect(404); // not initialized
      await api.http
        .post(`${filePath(batchId, 'new.json')}?action=INITIALIZE`)
        .set(h())
        .expect(201);
      const cases: Array<[string | undefined, Buffer, string, RegExp]> = [
        [undefined, Buffer.from('abcd'), 'Content-Range', /is required/],
        ['0-3', Buffer.from('abcd'), 'Content-Range', /must be "bytes/],
        ['bytes 3-0', Buffer.from('abcd'), 'Content-Range', /after the last/],
        ['bytes 0-3/4', Buffer.from('abcdef'), 'Content-Length', /is 6 but Content-Range names 4 bytes/],
        ['bytes 0-9/4', Buffer.from('abcd'), 'Content-Range', /not below the total size/],
      ];
      for (const [range, body, path, message] of cases) {
        const res = await patch(batchId, 'new.json', range, body).expect(400);
        expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      }
      const empty = await api.http
        .post(`${filePath(batchId, 'new.json')}?action=COMPLETE`)
        .set(h())
        .expect(400);
      expect(empty.body.errors).toEqual([{ path: 'Content-Range', message: 'no chunk of the file was received' }]);
      await api.http
        .post(`${filePath(batchId, 'new.json')}?action=bogus`)
        .set(h())
        .expect(400);
      await api.http.head(filePath(batchId, 'other.json')).set(h()).expect(404);
      // Another tenant sees none of it.
      await api.http.head(filePath(batchId, 'new.json')).set(client.headers('dev')).expect(404);
      await api.http
        .post(`${filePath(batchId, 'new.json')}?action=INITIALIZE`)
        .set(client.headers('dev'))
        .expect(404);
    });
  });

  describe('FAIL and REVERT', () => {
    it('FAIL ends a loading batch as failed (sent again: the same); a failed batch takes no COMPLETE', async () => {
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'a.json', lines([profile('failme')])).expect(201);
      const res = await api.http.post(`${IMPORT}/batches/${batchId}?action=FAIL`).set(h()).expect(200);
      expect(res.body).toMatchObject({ id: batchId, status: 'failed', errors: [{ code: 'FAILED_BY_CLIENT' }] });
      await api.http.post(`${IMPORT}/batches/${batchId}?action=fail`).set(h()).expect(200);
      await store.complete(batchId).expect(409);
      expect((await store.batch(batchId)).status).toBe('failed');
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(0);
      const { batchId: ok } = await store.ingest(crm, [profile('notfailable')]);
      await api.http.post(`${IMPORT}/batches/${ok}?action=FAIL`).set(h()).expect(409);
    });

    it("REVERT removes a successful batch's records and re-derives memberships from the rest, in one transaction; tenant-scoped", async () => {
      const ds = await store.createDataset('revertable');
      const seg = (status: string, at: string) => ({ ups: { 'seg-1': { status, lastQualificationTime: at } } });
      const { batchId: older } = await store.ingest(ds, [profile('rv-kept', { segmentMembership: seg('realized', '2024-01-01T00:00:00Z') })]);
      const { batchId: target } = await store.ingest(ds, [
        profile('rv-kept', { segmentMembership: seg('exited', '2024-06-01T00:00:00Z') }),
        profile('rv-gone', { segmentMembership: seg('realized', '2024-06-01T00:00:00Z') }),
      ]);
      const membership = async (id: string) =>
        (await env.db.query(`SELECT status FROM segment_memberships WHERE org_id = $1 AND identity = $2 AND segment_id = 'seg-1'`, [ORG_A, `Email:${id}@example.com`])).rows.map(
          (r) => r.status,
        );
      expect(await membership('rv-kept')).toEqual(['exited']);
      const files = await api.http.get(`${DATA_ACCESS}/batches/${target}/files`).set(h()).expect(200);
      const fileId = files.body.data[0].dataSetFileId;

      // Another tenant cannot revert it.
      await api.http.post(`${IMPORT}/batches/${target}?action=REVERT`).set(client.headers('dev')).expect(404);
      const b = await api.client(ORG_B, ['prod']);
      await api.http.post(`${IMPORT}/batches/${target}?action=REVERT`).set(b.headers('prod')).expect(404);
      expect(await count('profile_fragments', 'batch_id = $1', [target])).toBe(2);

      const res = await api.http.post(`${IMPORT}/batches/${target}?action=revert`).set(h()).expect(200);
      expect(res.body).toMatchObject({ id: target, status: 'inactive' });
      expect((await store.batch(target)).status).toBe('inactive');
      expect(await count('profile_fragments', 'batch_id = $1', [target])).toBe(0);
      expect(await count('profile_fragments', 'batch_id = $1', [older])).toBe(1);
      // rv-kept's membership is the older batch's again; rv-gone has none left.
      expect(await membership('rv-kept')).toEqual(['realized']);
      expect(await membership('rv-gone')).toEqual([]);
      // Its files are no longer served.
      expect((await api.http.get(`${DATA_ACCESS}/batches/${target}/files`).set(h()).expect(200)).body.data).toEqual([]);
      await api.http.get(`${DATA_ACCESS}/files/${fileId}`).set(h()).expect(404);
      // Sent again: the same answer; a loading batch cannot be reverted.
      expect((await api.http.post(`${IMPORT}/batches/${target}?action=REVERT`).set(h()).expect(200)).body.status).toBe('inactive');
      await api.http
        .post(`${IMPORT}/batches/${await store.createBatch(ds)}?action=REVERT`)
        .set(h())
        .expect(409);
      await api.http
        .post(`${IMPORT}/batches/${'f'.repeat(32)}?action=REVERT`)
        .set(h())
        .expect(404);
    });

    it('concurrent REVERTs of one batch: one removes it, both answer inactive', async () => {
      const { batchId } = await store.ingest(crm, [profile('rv-c1'), profile('rv-c2')]);
      const [a, b] = await Promise.all([1, 2].map(() => api.http.post(`${IMPORT}/batches/${batchId}?action=REVERT`).set(h())));
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.status, b.body.status]).toEqual(['inactive', 'inactive']);
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(0);
    });

    it('REVERT of an event batch removes its events', async () => {
      const events = await store.createDataset('revert events', 'experienceevent');
      const event = (id: string) => ({ _id: id, timestamp: '2024-07-01T10:00:00Z', identityMap: { ECID: [{ id: 'ecid-rv', primary: true }] } });
      const { batchId } = await store.ingest(events, [event('rv-e1'), event('rv-e2')]);
      expect(await count('experience_events', 'batch_id = $1', [batchId])).toBe(2);
      await api.http.post(`${IMPORT}/batches/${batchId}?action=REVERT`).set(h()).expect(200);
      expect(await count('experience_events', 'batch_id = $1', [batchId])).toBe(0);
    });
  });

  describe('Data Access', () => {
    const body = lines(Array.from({ length: 40 }, (_, i) => profile(`dl${i}`)));
    const size = Buffer.byteLength(body);
    let batchId: string;
    let fileId: string;
    let url: string;

    beforeAll(async () => {
      const ds = await store.createDataset('downloads');
      batchId = await store.createBatch(ds);
      await store.upload(batchId, ds, 'part-1.json', body).expect(201);
      await store.upload(batchId, ds, 'part-2.json', lines([profile('dl-second')])).expect(201);
      await store.finish(batchId);
      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200);
      fileId = files.body.data[0].dataSetFileId;
      url = `${DATA_ACCESS}/files/${fileId}?path=part-1.json`;
    });

    it("lists a batch's files in AEP's envelope: strings for created, updated and size; paging with start and limit", async () => {
      const res = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200);
      expect(res.body._page).toEqual({ limit: 100, count: 2 });
      expect(res.body._links).toEqual({ page: { href: `${DATA_ACCESS}/batches/${batchId}/files?start=0&limit=100`, templated: true } });
      for (const f of res.body.data) {
        expect(f).toEqual({
          dataSetFileId: expect.stringMatching(new RegExp(`^${batchId}-[0-9a-f]{12}$`)),
          dataSetViewId: expect.stringMatching(/^[0-9a-f]{24}$/),
          version: '1.0.0',
          created: expect.stringMatching(/^\d{13}$/),
          updated: expect.stringMatching(/^\d{13}$/),
          size: expect.stringMatching(/^\d+$/),
          isValid: true,
          _links: { self: { href: `${DATA_ACCESS}/files/${f.dataSetFileId}` } },
        });
      }
      const first = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files?start=0&limit=1`).set(h()).expect(200);
      expect(first.body._page).toEqual({ limit: 1, count: 1 });
      expect(first.body._links.next).toEqual({ href: `${DATA_ACCESS}/batches/${batchId}/files?start=1&limit=1` });
      const second = await api.http.get(first.body._links.next.href).set(h()).expect(200);
      expect(second.body.data[0].dataSetFileId).not.toBe(first.body.data[0].dataSetFileId);
      expect(second.body._links.next).toBeUndefined();
      expect((await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files?limit=500`).set(h()).expect(200)).body._page.limit).toBe(100);
      const bad = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files?limit=0`).set(h()).expect(400);
      expect(bad.body.errors[0].path).toBe('limit');
    });

    it('one Range: 206 with Content-Range and Content-Length; Accept-Ranges always', async () => {
      const res = await api.http.get(url).set(h()).set('Range', 'bytes=0-99').buffer(true).parse(bytes).expect(206);
      expect(res.headers['content-range']).toBe(`bytes 0-99/${size}`);
      expect(res.headers['content-length']).toBe('100');
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect((res.body as Buffer).toString()).toBe(body.slice(0, 100));
      const tail = await api.http.get(url).set(h()).set('Range', 'bytes=-10').buffer(true).parse(bytes).expect(206);
      expect(tail.headers['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
      expect((tail.body as Buffer).toString()).toBe(body.slice(size - 10));
      const open = await api.http
        .get(url)
        .set(h())
        .set('Range', `bytes=${size - 5}-`)
        .buffer(true)
        .parse(bytes)
        .expect(206);
      expect((open.body as Buffer).toString()).toBe(body.slice(size - 5));
      const clamped = await api.http
        .get(url)
        .set(h())
        .set('Range', `bytes=${size - 3}-${size + 1000}`)
        .buffer(true)
        .parse(bytes)
        .expect(206);
      expect(clamped.headers['content-range']).toBe(`bytes ${size - 3}-${size - 1}/${size}`);
    });

    it('416 with Content-Range: bytes */size when unsatisfiable; several ranges or none: 200 with the whole file', async () => {
      const res = await api.http.get(url).set(h()).set('Range', `bytes=${size}-`).expect(416);
      expect(res.headers['content-range']).toBe(`bytes */${size}`);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.body).toMatchObject({ status: 416, title: 'Range Not Satisfiable' });
      for (const range of ['bytes=0-1,5-6', undefined, 'items=0-1']) {
        const req = api.http.get(url).set(h());
        if (range) req.set('Range', range);
        const whole = await req.buffer(true).parse(bytes).expect(200);
        expect(whole.headers['accept-ranges']).toBe('bytes');
        expect(whole.headers['content-length']).toBe(String(size));
        expect((whole.body as Buffer).toString()).toBe(body);
      }
      // An If-Range that no longer matches: the whole file.
      const stale = await api.http.get(url).set(h()).set('Range', 'bytes=0-9').set('If-Range', '"other"').buffer(true).parse(bytes).expect(200);
      expect((stale.body as Buffer).length).toBe(size);
    });

    it('HEAD /files/{id}?path= answers Content-Length, Content-Type and Accept-Ranges; path is required', async () => {
      const res = await api.http.head(url).set(h()).expect(200);
      expect(res.headers['content-length']).toBe(String(size));
      expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
      expect(res.headers['accept-ranges']).toBe('bytes');
      await api.http.head(`${DATA_ACCESS}/files/${fileId}`).set(h()).expect(400);
      await api.http.head(`${DATA_ACCESS}/files/${fileId}?path=other.json`).set(h()).expect(404);
      await api.http.head(url).set(client.headers('dev')).expect(404);
    });

    it('/batches/{id}/failed lists the files of a failed batch and downloads them; none for a successful one', async () => {
      const ok = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/failed`).set(h()).expect(200);
      expect(ok.body).toEqual({ data: [], _page: { limit: 100, count: 0 }, _links: {} });
      const bad = await store.createBatch(crm);
      const text = lines([profile('f1'), { identityMap: {} }]);
      await store.upload(bad, crm, 'bad.json', text).expect(201);
      expect((await store.finish(bad)).status).toBe('failed');
      const listing = await api.http.get(`${DATA_ACCESS}/batches/${bad}/failed`).set(h()).expect(200);
      expect(listing.body.data).toEqual([
        { name: 'bad.json', length: String(Buffer.byteLength(text)), _links: { self: { href: `${DATA_ACCESS}/batches/${bad}/failed?path=bad.json` } } },
      ]);
      const file = await api.http.get(listing.body.data[0]._links.self.href).set(h()).buffer(true).parse(bytes).expect(200);
      expect((file.body as Buffer).toString()).toBe(text);
      await api.http.get(`${DATA_ACCESS}/batches/${bad}/failed?path=nope.json`).set(h()).expect(404);

      // The meta directory: row errors per file, their sample, the input files.
      const meta = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta`).set(h()).expect(200);
      expect(meta.body.data.map((d: { name: string }) => d.name)).toEqual(['row_errors', 'input_files', 'row_errors_sample.json']);
      for (const d of meta.body.data)
        expect(d).toEqual({ name: d.name, length: expect.stringMatching(/^\d+$/), _links: { self: { href: expect.stringContaining(`/batches/${bad}/meta?path=`) } } });
      const sample = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=row_errors_sample.json`).set(h()).expect(200);
      expect(sample.body).toEqual([expect.objectContaining({ code: 'INVALID_RECORD', file: 'bad.json', line: 2 })]);
      const rowErrors = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=row_errors`).set(h()).expect(200);
      expect(rowErrors.body.data.map((d: { name: string }) => d.name)).toEqual(['row_errors/bad.json']);
      const perFile = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=row_errors%2Fbad.json`).set(h()).buffer(true).parse(bytes).expect(200);
      expect(JSON.parse((perFile.body as Buffer).toString().trim())).toMatchObject({ code: 'INVALID_RECORD', line: 2 });
      const inputs = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=input_files`).set(h()).expect(200);
      expect(inputs.body.data).toEqual([expect.objectContaining({ name: 'input_files/bad.json', length: String(Buffer.byteLength(text)) })]);
      const input = await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=input_files%2Fbad.json`).set(h()).set('Range', 'bytes=0-4').buffer(true).parse(bytes).expect(206);
      expect((input.body as Buffer).toString()).toBe(text.slice(0, 5));
      await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta?path=nothing`).set(h()).expect(404);
      await api.http.get(`${DATA_ACCESS}/batches/${bad}/meta`).set(client.headers('dev')).expect(404);
    });

    it("GET /datasets/{id}/preview answers the dataset's first rows as {data: [...]}; 404 for an unknown or foreign dataset", async () => {
      const ds = await store.createDataset('preview');
      const rows = Array.from({ length: 120 }, (_, i) => profile(`pv${String(i).padStart(3, '0')}`));
      await store.ingest(ds, rows);
      const res = await api.http.get(`${DATA_ACCESS}/datasets/${ds}/preview`).set(h()).expect(200);
      expect(res.body.data).toHaveLength(100);
      expect(res.body.data[0]).toEqual(expect.objectContaining({ identityMap: expect.any(Object), person: expect.any(Object) }));
      const empty = await store.createDataset('empty preview');
      expect((await api.http.get(`${DATA_ACCESS}/datasets/${empty}/preview`).set(h()).expect(200)).body).toEqual({ data: [] });
      await api.http
        .get(`${DATA_ACCESS}/datasets/${'0'.repeat(24)}/preview`)
        .set(h())
        .expect(404);
      await api.http.get(`${DATA_ACCESS}/datasets/${ds}/preview`).set(client.headers('dev')).expect(404);
      await api.http.get(`${DATA_ACCESS}/datasets/nope/preview`).set(h()).expect(400);
    });
  });

  describe('partial ingestion (partialIngestionPercentage)', () => {
    /** 20 records of which the first `bad` are refused (alternately not JSON and without an identity). */
    const twenty = (tag: string, bad: number) =>
      Array.from({ length: 20 }, (_, i) => (i >= bad ? JSON.stringify(profile(`${tag}${i}`)) : i % 2 ? JSON.stringify({ noIdentity: i }) : `{"broken${i}":`)).join('\n') + '\n';
    const partialBatch = async (extra: Record<string, unknown>) =>
      (
        await api.http
          .post(`${IMPORT}/batches`)
          .set(h())
          .send({ datasetId: crm, inputFormat: { format: 'json' }, ...extra })
          .expect(201)
      ).body.id as string;
    const stored = (batchId: string) => count('profile_fragments', 'batch_id = $1', [batchId]);

    it('10% with 1 bad record of 20: success, 19 ingested, the refused one counted, listed and served by /failed', async () => {
      const batchId = await partialBatch({ partialIngestionPercentage: 10 });
      await store.upload(batchId, crm, 'a.json', twenty('pi-a', 1)).expect(201);
      const batch = await store.finish(batchId);
      expect(batch).toMatchObject({ status: 'success', recordCount: 19, failedRecordCount: 1, metrics: { recordsRead: 20, recordsWritten: 19, recordsFailed: 1 } });
      expect(batch.errors).toEqual([{ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 1 }]);
      expect(await stored(batchId)).toBe(19);
      // The 201 and the Catalog do not echo the threshold (AEP does not).
      expect(batch.partialIngestionPercentage).toBeUndefined();

      const failed = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/failed`).set(h()).expect(200);
      expect(failed.body.data).toEqual([
        { name: 'a.json.failed.jsonl', length: expect.stringMatching(/^\d+$/), _links: { self: { href: `${DATA_ACCESS}/batches/${batchId}/failed?path=a.json.failed.jsonl` } } },
      ]);
      const rows = await api.http.get(failed.body.data[0]._links.self.href).set(h()).buffer(true).parse(bytes).expect(200);
      expect(rows.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect((rows.body as Buffer).toString()).toBe(
        JSON.stringify({ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 1, record: '{"broken0":' }) + '\n',
      );
      expect(failed.body.data[0].length).toBe(String((rows.body as Buffer).length));
      // The input file is among the batch's files (it succeeded); row_errors name the refused record.
      expect((await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200)).body.data).toHaveLength(1);
      const rowErrors = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/meta?path=row_errors%2Fa.json`).set(h()).buffer(true).parse(bytes).expect(200);
      expect(JSON.parse((rowErrors.body as Buffer).toString())).toMatchObject({ code: 'MALFORMED_JSON', line: 1 });
    });

    it('10% with 5 bad records of 20: the batch fails as without a threshold, naming file and line, nothing ingested', async () => {
      const batchId = await partialBatch({ partialIngestionPercent: 10 });
      await store.upload(batchId, crm, 'b.json', twenty('pi-b', 5)).expect(201);
      const batch = await store.finish(batchId);
      expect(batch).toMatchObject({ status: 'failed', failedRecordCount: 5, metrics: { recordsWritten: 0 } });
      expect(batch.errors.map((e: { code: string; file: string; line: number }) => [e.code, e.file, e.line])).toEqual([
        ['MALFORMED_JSON', 'b.json', 1],
        ['INVALID_RECORD', 'b.json', 2],
        ['MALFORMED_JSON', 'b.json', 3],
        ['INVALID_RECORD', 'b.json', 4],
        ['MALFORMED_JSON', 'b.json', 5],
      ]);
      expect(await stored(batchId)).toBe(0);
      // /failed serves the files as uploaded, as for any failed batch.
      expect((await api.http.get(`${DATA_ACCESS}/batches/${batchId}/failed`).set(h()).expect(200)).body.data.map((d: { name: string }) => d.name)).toEqual(['b.json']);
    });

    it('refused records of several files go to a file each; an exact threshold holds', async () => {
      const batchId = await partialBatch({ partialIngestionPercentage: 10 });
      await store.upload(batchId, crm, 'c1.json', twenty('pi-c1', 1)).expect(201);
      await store.upload(batchId, crm, 'c2.json', twenty('pi-c2', 3)).expect(201);
      const batch = await store.finish(batchId);
      expect(batch).toMatchObject({ status: 'success', recordCount: 36, failedRecordCount: 4 });
      const failed = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/failed`).set(h()).expect(200);
      expect(failed.body.data.map((d: { name: string }) => d.name)).toEqual(['c1.json.failed.jsonl', 'c2.json.failed.jsonl']);
      const c2 = await api.http.get(failed.body.data[1]._links.self.href).set(h()).buffer(true).parse(bytes).expect(200);
      expect(
        (c2.body as Buffer)
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).line),
      ).toEqual([1, 2, 3]);
    });

    it('a file that breaks the stream (a JSON array cut short) still fails the batch; without a threshold one bad record does', async () => {
      const cut = await partialBatch({ partialIngestionPercentage: 50 });
      await store.upload(cut, crm, 'cut.json', `[${JSON.stringify(profile('pi-cut1'))},${JSON.stringify(profile('pi-cut2'))},{"a":`).expect(201);
      const failed = await store.finish(cut);
      expect(failed).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ code: 'MALFORMED_FILE', file: 'cut.json' })] });
      expect(await stored(cut)).toBe(0);
      const strict = await partialBatch({});
      await store.upload(strict, crm, 'd.json', twenty('pi-d', 1)).expect(201);
      expect(await store.finish(strict)).toMatchObject({ status: 'failed', failedRecordCount: 1 });
      expect(await stored(strict)).toBe(0);
    });

    it('the two spellings must agree when both are given', async () => {
      await partialBatch({ partialIngestionPercentage: 5, partialIngestionPercent: 5 });
      const res = await api.http
        .post(`${IMPORT}/batches`)
        .set(h())
        .send({ datasetId: crm, inputFormat: { format: 'json' }, partialIngestionPercentage: 5, partialIngestionPercent: 10 })
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'partialIngestionPercent' })]);
    });
  });

  describe('GET /batches/{b}/datasets/{d}/preview', () => {
    const previewOf = (batchId: string, query: string, dataset = crm) => api.http.get(`${IMPORT}/batches/${batchId}/datasets/${dataset}/preview${query}`).set(h());

    it('previews the files of a loading batch: top-level fields as columns, values as strings, across files (gzip too)', async () => {
      const batchId = await store.createBatch(crm);
      const first = Array.from({ length: 3 }, (_, i) => profile(`pv-a${i}`, { loyalty: { points: i } }));
      await store.upload(batchId, crm, 'a.json', lines(first)).expect(201);
      await store.upload(batchId, crm, 'b.json.gz', gzipSync(lines([{ ...profile('pv-b0'), score: 1.5, vip: true, note: null }]))).expect(201);
      const res = await previewOf(batchId, '?format=JSON').expect(200);
      expect(res.body).toEqual({
        formatParams: { format: 'json', isMultiLineJson: false, charset: 'UTF-8', nrow: 100 },
        preview: {
          columns: [
            { cid: 'c0', name: 'identityMap' },
            { cid: 'c1', name: 'person' },
            { cid: 'c2', name: 'loyalty' },
            { cid: 'c3', name: 'score' },
            { cid: 'c4', name: 'vip' },
            { cid: 'c5', name: 'note' },
          ],
          rows: [
            ...first.map((r) => ({ c0: JSON.stringify(r.identityMap), c1: JSON.stringify(r.person), c2: JSON.stringify((r as Record<string, unknown>).loyalty) })),
            { c0: JSON.stringify(profile('pv-b0').identityMap), c1: JSON.stringify(profile('pv-b0').person), c3: '1.5', c4: 'true', c5: 'null' },
          ],
        },
      });
      // The batch is still loading: the preview changed nothing.
      expect((await store.batch(batchId)).status).toBe('loading');
    });

    it('reads a multi-line JSON array with isMultiLineJson=true; nrow bounds the rows (0: 100, above 1000: 1000)', async () => {
      const batchId = await store.createBatch(crm);
      const many = Array.from({ length: 1100 }, (_, i) => ({ identityMap: { Email: [{ id: `m${i}@example.com` }] }, i }));
      await store.upload(batchId, crm, 'pretty.json', JSON.stringify(many, null, 2)).expect(201);
      const three = await previewOf(batchId, '?format=json&isMultiLineJson=true&nrow=3').expect(200);
      expect(three.body.formatParams).toEqual({ format: 'json', isMultiLineJson: true, charset: 'UTF-8', nrow: 3 });
      expect(three.body.preview.rows.map((r: Record<string, string>) => r.c1)).toEqual(['0', '1', '2']);
      expect((await previewOf(batchId, '?format=json&nrow=0').expect(200)).body.preview.rows).toHaveLength(100);
      const capped = await previewOf(batchId, '?format=json&nrow=5000&delimiter=%3B&quote=%27&escape=%5C&charset=UTF-8&header=false').expect(200);
      expect(capped.body.formatParams.nrow).toBe(1000);
      expect(capped.body.preview.rows).toHaveLength(1000);
      expect(capped.body.preview.rows[999]).toEqual({ c0: JSON.stringify(many[999].identityMap), c1: '999' });
    });

    it('previews a successful batch too, and skips the records ingestion would refuse as unreadable', async () => {
      const batchId = await store.createBatch(crm);
      await store
        .upload(
          batchId,
          crm,
          'mixed.json',
          `${JSON.stringify(profile('pv-ok'))}
{"broken":
42
${JSON.stringify({ identityMap: {} })}
`,
        )
        .expect(201);
      const res = await previewOf(batchId, '?format=json').expect(200);
      expect(res.body.preview.rows).toEqual([{ c0: JSON.stringify(profile('pv-ok').identityMap), c1: JSON.stringify(profile('pv-ok').person) }, { c0: '{}' }]);
      const ok = await store.ingest(crm, [profile('pv-done')]);
      expect((await previewOf(ok.batchId, '?format=json').expect(200)).body.preview.rows).toHaveLength(1);
      const empty = await store.createBatch(crm);
      expect((await previewOf(empty, '?format=json').expect(200)).body.preview).toEqual({ columns: [], rows: [] });
    });

    it.each([
      ['?format=parquet', 'format', /parquet is not supported by this service/],
      ['?format=CSV&delimiter=%3B', 'format', /csv is not supported by this service/],
      ['', 'format', /is required/],
      ['?format=xml', 'format', /json, parquet or csv/],
      ['?format=json&nrow=-1', 'nrow', /0/],
      ['?format=json&nrow=ten', 'nrow', /whole number/],
      ['?format=json&isMultiLineJson=yes', 'isMultiLineJson', /true or false/],
      ['?format=json&rows=5', 'rows', /not a known/],
    ])('400 for %s naming %s', async (query, path, message) => {
      const batchId = await store.createBatch(crm);
      const res = await previewOf(batchId, query).expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]));
    });

    it('404 for an unknown batch or dataset, a dataset the batch is not of, or another sandbox; 400 for a malformed id', async () => {
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'a.json', lines([profile('pv-404')])).expect(201);
      const other = await store.createDataset('preview other');
      await previewOf('0'.repeat(32), '?format=json').expect(404);
      await previewOf(batchId, '?format=json', '0'.repeat(24)).expect(404);
      const notOf = await previewOf(batchId, '?format=json', other).expect(404);
      expect(notOf.body.detail).toContain('is not a batch of dataset');
      await api.http.get(`${IMPORT}/batches/${batchId}/datasets/${crm}/preview?format=json`).set(client.headers('dev')).expect(404);
      expect((await previewOf('nope', '?format=json').expect(400)).body.errors[0].path).toBe('batchId');
      expect((await previewOf(batchId, '?format=json', 'nope').expect(400)).body.errors[0].path).toBe('datasetId');
    });
  });

  it('Catalog shows a reverted batch as inactive (the status AEP gives it)', async () => {
    const { batchId } = await store.ingest(crm, [profile('catalog-rv')]);
    await api.http.post(`${IMPORT}/batches/${batchId}?action=REVERT`).set(h()).expect(200);
    const res = await api.http.get(`${CATALOG}/batches/${batchId}`).set(h()).expect(200);
    expect(res.body[batchId].status).toBe('inactive');
  });
});
