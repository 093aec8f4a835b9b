import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { CATALOG, DATA_ACCESS, IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const lines = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const segment = (status: string, at: string) => ({ status, lastQualificationTime: at });

describe('profile store: datasets, batch ingestion, data access (real Postgres)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let store: ProfileStoreClient;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    env = await createTestEnv('store');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config()); // promotes completed batches
    client = await api.client(ORG_A, ['prod', 'dev']);
    store = new ProfileStoreClient(api, client);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await env.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;

  describe('datasets (Catalog)', () => {
    it('creates a dataset and answers ["@/dataSets/{id}"]; reads it back by id and in the list', async () => {
      const res = await api.http
        .post(`${CATALOG}/dataSets`)
        .set(client.headers())
        .send({
          name: 'CRM',
          description: 'from the CRM',
          schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile', contentType: 'application/vnd.adobe.xed-full+json;version=1' },
        })
        .expect(201);
      expect(res.body).toEqual([expect.stringMatching(/^@\/dataSets\/[0-9a-f]{24}$/)]);
      const id = res.body[0].slice('@/dataSets/'.length);
      const one = await api.http.get(`${CATALOG}/dataSets/${id}`).set(client.headers()).expect(200);
      expect(Object.keys(one.body)).toEqual([id]);
      expect(one.body[id]).toMatchObject({
        name: 'CRM',
        description: 'from the CRM',
        imsOrg: ORG_A,
        schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile' },
        created: expect.any(Number),
      });
      const list = await api.http.get(`${CATALOG}/dataSets?limit=100`).set(client.headers()).expect(200);
      expect(list.body[id]).toBeDefined();
    });

    it('accepts the _xdm.context.* names as schema ids', async () => {
      const res = await api.http
        .post(`${CATALOG}/dataSets`)
        .set(client.headers())
        .send({ name: 'events', schemaRef: { id: '_xdm.context.experienceevent' } })
        .expect(201);
      const id = res.body[0].slice('@/dataSets/'.length);
      const one = await api.http.get(`${CATALOG}/dataSets/${id}`).set(client.headers()).expect(200);
      expect(one.body[id].schemaRef.id).toBe('https://ns.adobe.com/xdm/context/experienceevent');
    });

    it.each([
      [{ schemaRef: { id: '_xdm.context.profile' } }, 'name'],
      [{ name: 'x' }, 'schemaRef'],
      [{ name: 'x', schemaRef: { id: 'https://ns.adobe.com/xdm/context/other' } }, 'schemaRef.id'],
      [{ name: 'x', schemaRef: { id: '_xdm.context.profile' }, owner: 'me' }, 'owner'],
    ])('400 for %j naming %s', async (body, path) => {
      const res = await api.http.post(`${CATALOG}/dataSets`).set(client.headers()).send(body).expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    });

    it('pages with limit and start, refuses bad ones, 400/404 on ids', async () => {
      const page = await api.http.get(`${CATALOG}/dataSets?limit=1&start=1`).set(client.headers()).expect(200);
      expect(Object.keys(page.body)).toHaveLength(1);
      await api.http.get(`${CATALOG}/dataSets?limit=0`).set(client.headers()).expect(400);
      await api.http.get(`${CATALOG}/dataSets?start=-1`).set(client.headers()).expect(400);
      await api.http.get(`${CATALOG}/dataSets/nothex`).set(client.headers()).expect(400);
      await api.http
        .get(`${CATALOG}/dataSets/${'0'.repeat(24)}`)
        .set(client.headers())
        .expect(404);
    });
  });

  describe('batch ingestion', () => {
    let crm: string;
    beforeAll(async () => {
      crm = await store.createDataset('crm');
    });

    it('creates a loading batch, takes a JSON Lines file, promotes it on COMPLETE', async () => {
      const batchId = await store.createBatch(crm);
      const created = await api.http.get(`${CATALOG}/batches/${batchId}`).set(client.headers()).expect(200);
      expect(created.body[batchId]).toMatchObject({ status: 'loading', relatedObjects: [{ type: 'dataSet', id: crm }] });
      await store
        .upload(
          batchId,
          crm,
          'part-1.json',
          lines([
            profile('ann', { segmentMembership: { ups: { s1: segment('realized', '2024-03-01T00:00:00Z') } }, extSourceSystemAudit: { lastUpdatedDate: '2024-02-01T00:00:00Z' } }),
            profile('bob'),
          ]),
        )
        .expect(201);
      const accepted = await store.complete(batchId).expect(200);
      expect(accepted.body).toMatchObject({ id: batchId, status: 'staging' }); // answered at once; a worker promotes it
      // A second COMPLETE (AEP: safe to retry) answers the batch as it is, never waits, queues nothing twice.
      expect(['staging', 'processing', 'success']).toContain((await store.complete(batchId).expect(200)).body.status);
      const done = { body: await store.settled(batchId) };
      expect(done.body).toMatchObject({ id: batchId, status: 'success', metrics: { recordsRead: 2, recordsWritten: 2 }, completed: expect.any(Number) });

      const rows = await env.db.query(
        `SELECT primary_identity, identities, record->'person' AS person, record_time, ingest_time FROM profile_fragments WHERE batch_id = $1 ORDER BY primary_identity`,
        [batchId],
      );
      expect(rows.rows.map((r) => r.primary_identity)).toEqual(['Email:ann@example.com', 'Email:bob@example.com']);
      expect(rows.rows[0].person).toEqual({ name: { firstName: 'ann' } });
      expect(rows.rows[0].record_time.toISOString()).toBe('2024-02-01T00:00:00.000Z'); // lastUpdatedDate
      expect(rows.rows[1].record_time.getTime()).toBe(rows.rows[1].ingest_time.getTime()); // else the ingest time
      const members = await env.db.query(`SELECT segment_ns, segment_id, identity, status FROM segment_memberships WHERE identity = 'Email:ann@example.com'`);
      expect(members.rows).toEqual([{ segment_ns: 'ups', segment_id: 's1', identity: 'Email:ann@example.com', status: 'realized' }]);
    });

    it('stores a batch in profile-key order (byte order), the records of one profile in the order sent', async () => {
      // Sent in descending order, with one profile's two records apart: the heap order (ctid) and
      // the id order must both come out sorted by key, and "zed" keep its records' order.
      const names = ['zed', 'Yan', 'mia', 'zed', 'Abe', 'bea'];
      const { batchId } = await store.ingest(
        crm,
        names.map((n, i) => profile(n, { loyalty: { points: i } })),
      );
      const byHeap = await env.db.query(`SELECT primary_identity AS key, (record->'loyalty'->>'points')::int AS sent FROM profile_fragments WHERE batch_id = $1 ORDER BY ctid`, [
        batchId,
      ]);
      const byId = await env.db.query(`SELECT primary_identity AS key FROM profile_fragments WHERE batch_id = $1 ORDER BY id`, [batchId]);
      const expected = [
        { key: 'Email:Abe@example.com', sent: 4 },
        { key: 'Email:Yan@example.com', sent: 1 },
        { key: 'Email:bea@example.com', sent: 5 },
        { key: 'Email:mia@example.com', sent: 2 },
        { key: 'Email:zed@example.com', sent: 0 },
        { key: 'Email:zed@example.com', sent: 3 },
      ];
      expect(byHeap.rows).toEqual(expected);
      expect(byId.rows.map((r) => r.key)).toEqual(expected.map((r) => r.key));
    });

    it('stores the derived identities for export only when the record has no identities of its own', async () => {
      const { batchId } = await store.ingest(crm, [profile('own', { identities: [{ id: 'stale' }] }), profile('plain')]);
      const rows = await env.db.query(`SELECT primary_identity AS key, identities_json AS json FROM profile_fragments WHERE batch_id = $1 ORDER BY 1`, [batchId]);
      expect(rows.rows).toEqual([
        { key: 'Email:own@example.com', json: null },
        { key: 'Email:plain@example.com', json: JSON.stringify([{ id: 'plain@example.com', namespace: { code: 'Email' }, primary: true }]) },
      ]);
    });

    it('records the byte offset of the top-level segmentMembership key (the last of duplicates), -1 without one', async () => {
      const m = '{"ups":{"s9":{"status":"realized"}}}';
      const ids = (n: string) => `"identityMap":{"Email":[{"id":"${n}@example.com","primary":true}]}`;
      const lines = [
        `{${ids('off1')},"person":{"name":{"firstName":"Zoë 日本 🎉"},"segmentMembership":"nested"},"segmentMembership":${m}}`,
        ` { ${ids('off2')} , "segmentMembership" : ${m} , "tail":1 }`,
        `{"segmentMembership":{"ups":{}},${ids('off3')},"segmentMembership":${m}}`,
        `{${ids('off4')},"note":"\\"segmentMembership\\":{}"}`,
        `{${ids('off5')},"segment\\u004dembership":${m}}`,
      ];
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'offsets.json', lines.join('\n') + '\n').expect(201);
      await store.finish(batchId);
      // What the bytes at the offset are, read by Postgres from the stored text.
      const rows = await env.db.query(
        `SELECT primary_identity AS key, membership_at AS at,
                CASE WHEN membership_at >= 0 THEN convert_from(substring(convert_to(record::text, 'UTF8') FROM membership_at + 1 FOR 25), 'UTF8') END AS there
           FROM profile_fragments WHERE batch_id = $1 ORDER BY 1`,
        [batchId],
      );
      const at = (line: string, token: string) => Buffer.byteLength(line.slice(0, line.lastIndexOf(token)));
      expect(rows.rows).toEqual([
        { key: 'Email:off1@example.com', at: at(lines[0], '"segmentMembership":{'), there: '"segmentMembership":{"ups' },
        { key: 'Email:off2@example.com', at: at(lines[1], '"segmentMembership"'), there: '"segmentMembership" : {"u' },
        { key: 'Email:off3@example.com', at: at(lines[2], '"segmentMembership"'), there: '"segmentMembership":{"ups' },
        { key: 'Email:off4@example.com', at: -1, there: null },
        { key: 'Email:off5@example.com', at: at(lines[4], '"segment\\u004d'), there: '"segment\\u004dembership":' },
      ]);
      expect(rows.rows[2].at).toBeGreaterThan(lines[2].indexOf(ids('off3'))); // the second of the two
    });

    it('keeps the membership entry with the latest lastQualificationTime, whichever batch brings it', async () => {
      const who = profile('cid', { identityMap: { Email: [{ id: 'cid@example.com', primary: true }] } });
      await store.ingest(crm, [{ ...who, segmentMembership: { ups: { s2: segment('realized', '2024-05-01T00:00:00Z') } } }]);
      await store.ingest(crm, [{ ...who, segmentMembership: { ups: { s2: segment('exited', '2024-04-01T00:00:00Z') } } }]); // older: ignored
      const older = await env.db.query(`SELECT status FROM segment_memberships WHERE identity = 'Email:cid@example.com' AND segment_id = 's2'`);
      expect(older.rows).toEqual([{ status: 'realized' }]);
      await store.ingest(crm, [
        { ...who, segmentMembership: { ups: { s2: segment('exited', '2024-06-01T00:00:00Z') } } },
        { ...who, segmentMembership: { ups: { s2: segment('realized', '2024-05-15T00:00:00Z') } } }, // same batch, older
      ]);
      const newer = await env.db.query(`SELECT status, last_qualification_time FROM segment_memberships WHERE identity = 'Email:cid@example.com' AND segment_id = 's2'`);
      expect(newer.rows).toEqual([{ status: 'exited', last_qualification_time: new Date('2024-06-01T00:00:00Z') }]);
    });

    it('fails the whole batch when one record is refused: errors name file and line, nothing becomes visible', async () => {
      const before = await count('profile_fragments');
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'a.json', lines([profile('ok1'), profile('ok2')])).expect(201);
      const bad = lines([profile('ok3')]) + '{"identityMap":{}}\n' + 'not json\n' + '[1,2]\n' + lines([{ person: {} }]);
      await store.upload(batchId, crm, 'b.json', bad).expect(201);
      const res = { body: await store.finish(batchId) };
      expect(res.body.status).toBe('failed');
      expect(res.body).toMatchObject({ failedRecordCount: 4, metrics: { recordsFailed: 4 } });
      expect(res.body.errors).toEqual([
        { code: 'INVALID_RECORD', description: 'the record has no identity in identityMap', file: 'b.json', line: 2 },
        { code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'b.json', line: 3 },
        { code: 'INVALID_RECORD', description: 'the record is not a JSON object', file: 'b.json', line: 4 },
        { code: 'INVALID_RECORD', description: 'identityMap is missing or not an object', file: 'b.json', line: 5 },
      ]);
      expect(await count('profile_fragments')).toBe(before);
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(0);
      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
      expect(files.body.data).toEqual([]);
      // A finished batch takes no more files; a COMPLETE sent again answers it as it is (AEP: safe to retry).
      await store.upload(batchId, crm, 'c.json', lines([profile('x')])).expect(409);
      expect((await store.complete(batchId).expect(200)).body.status).toBe('failed');
    });

    it('fails a batch with no files or no records', async () => {
      const empty = await store.createBatch(crm);
      const res = { body: await store.finish(empty) };
      expect(res.body).toMatchObject({ status: 'failed', errors: [{ code: 'EMPTY_BATCH', description: 'the batch has no files' }] });
    });

    it('reads a JSON array and a gzip-compressed file', async () => {
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'array.json', JSON.stringify([profile('arr1'), profile('arr2')], null, 2)).expect(201);
      await store.upload(batchId, crm, 'lines.json.gz', gzipSync(Buffer.from(lines([profile('gz1'), profile('gz2'), profile('gz3')])))).expect(201);
      const res = { body: await store.finish(batchId) };
      expect(res.body).toMatchObject({ status: 'success', metrics: { recordsWritten: 5 } });
      const ids = await env.db.query(`SELECT primary_identity FROM profile_fragments WHERE batch_id = $1 ORDER BY 1`, [batchId]);
      expect(ids.rows.map((r) => r.primary_identity)).toEqual(['arr1', 'arr2', 'gz1', 'gz2', 'gz3'].map((n) => `Email:${n}@example.com`));
    });

    it('stores experience events in an event dataset, refusing events without _id or timestamp', async () => {
      const events = await store.createDataset('web events', 'experienceevent');
      const event = (id: string) => ({
        _id: id,
        timestamp: '2024-07-01T10:00:00Z',
        eventType: 'web.webpagedetails.pageViews',
        identityMap: { ECID: [{ id: 'ecid-1', primary: true }] },
      });
      const { batch } = await store.ingest(events, [event('e1'), event('e2')]);
      expect(batch.status).toBe('success');
      const rows = await env.db.query(`SELECT event_id, primary_identity, event_time FROM experience_events ORDER BY event_id`);
      expect(rows.rows).toEqual([
        { event_id: 'e1', primary_identity: 'ECID:ecid-1', event_time: new Date('2024-07-01T10:00:00Z') },
        { event_id: 'e2', primary_identity: 'ECID:ecid-1', event_time: new Date('2024-07-01T10:00:00Z') },
      ]);
      const { batch: bad } = await store.ingest(events, [{ ...event('e3'), _id: undefined }]);
      expect(bad).toMatchObject({ status: 'failed', errors: [{ description: '_id must be a non-empty string', line: 1 }] });
    });

    it('ABORT abandons a loading batch; its files never show', async () => {
      const batchId = await store.createBatch(crm);
      await store.upload(batchId, crm, 'a.json', lines([profile('ab')])).expect(201);
      const res = await api.http.post(`${IMPORT}/batches/${batchId}?action=ABORT`).set(client.headers()).expect(200);
      expect(res.body.status).toBe('aborted');
      await store.complete(batchId).expect(409);
      await api.http.post(`${IMPORT}/batches/${batchId}?action=ABORT`).set(client.headers()).expect(409);
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(0);
    });

    it('refuses bad requests with 4xx naming the problem', async () => {
      const batchId = await store.createBatch(crm);
      await api.http.post(`${IMPORT}/batches`).set(client.headers()).send({ datasetId: crm }).expect(400);
      const unknown = await api.http
        .post(`${IMPORT}/batches`)
        .set(client.headers())
        .send({ datasetId: '0'.repeat(24), inputFormat: { format: 'json' } })
        .expect(400);
      expect(unknown.body.errors).toEqual([{ path: 'datasetId', message: 'no such dataset in this sandbox' }]);
      const format = await api.http
        .post(`${IMPORT}/batches`)
        .set(client.headers())
        .send({ datasetId: crm, inputFormat: { format: 'csv' } })
        .expect(400);
      expect(format.body.errors[0].path).toBe('inputFormat.format');
      const action = await api.http.post(`${IMPORT}/batches/${batchId}?action=PUBLISH`).set(client.headers()).expect(400);
      expect(action.body.errors).toEqual([{ path: 'action', message: 'must be one of COMPLETE, ABORT, FAIL, REVERT (any case)' }]);
      await store.upload(batchId, crm, '..hidden', 'x').expect(400);
      await store.upload(batchId, '0'.repeat(24), 'a.json', 'x').expect(404); // not this batch's dataset
      await store.upload('0'.repeat(32), crm, 'a.json', 'x').expect(404);
    });

    it('streams a large upload to storage with bounded memory', async () => {
      const batchId = await store.createBatch(crm);
      const line = Buffer.from(JSON.stringify(profile('big', { pad: 'x'.repeat(900) })) + '\n');
      const total = 200 * 1024 * 1024;
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= total) return this.push(null);
          const chunk = Buffer.concat(Array(64).fill(line));
          sent += chunk.length;
          this.push(chunk);
        },
      });
      const server = api.app.getHttpServer() as import('node:http').Server;
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as import('node:net').AddressInfo;
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'PUT',
              path: `${IMPORT}/batches/${batchId}/datasets/${crm}/files/big.json`,
              headers: { ...client.headers(), 'Content-Type': 'application/json' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          body.pipe(req);
        });
        expect(status).toBe(201);
      } finally {
        clearInterval(sampler);
      }
      // The whole body (200 MiB) never sits in memory: growth stays far below its size.
      expect(peak - baseline).toBeLessThan(120 * 1024 * 1024);
      const stored = await env.db.query(`SELECT size_bytes FROM batch_files WHERE batch_id = $1`, [batchId]);
      expect(Number(stored.rows[0].size_bytes)).toBe(sent);
    }, 60_000);
  });

  describe('data access', () => {
    it('lists the files of a successful batch and streams their bytes with Content-Length', async () => {
      const ds = await store.createDataset('downloads');
      const body = lines([profile('d1'), profile('d2')]);
      const batchId = await store.createBatch(ds);
      await store.upload(batchId, ds, 'export.json', body).expect(201);
      // Not visible while loading.
      const loading = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
      expect(loading.body.data).toEqual([]);
      await store.finish(batchId);

      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
      expect(files.body.data).toEqual([
        expect.objectContaining({
          dataSetFileId: expect.stringMatching(new RegExp(`^${batchId}-[0-9a-f]{12}$`)),
          _links: { self: { href: expect.stringMatching(/^\/data\/foundation\/export\/files\//) } },
        }),
      ]);
      const listing = await api.http.get(files.body.data[0]._links.self.href).set(client.headers()).expect(200);
      expect(listing.body.data).toEqual([
        { name: 'export.json', length: String(Buffer.byteLength(body)), _links: { self: { href: expect.stringContaining('?path=export.json') } } },
      ]);
      const download = await api.http
        .get(listing.body.data[0]._links.self.href)
        .set(client.headers())
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(download.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect((download.body as Buffer).toString()).toBe(body);
      await api.http.get(`${files.body.data[0]._links.self.href}?path=other.json`).set(client.headers()).expect(404);
      await api.http.get(`${DATA_ACCESS}/files/nope`).set(client.headers()).expect(400);
    });
  });

  describe('tenancy: another org or sandbox sees none of it', () => {
    it('404 on every endpoint for a dataset, batch or file of another tenant', async () => {
      const ds = await store.createDataset('private');
      const { batchId } = await store.ingest(ds, [profile('p1')]);
      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
      const fileId = files.body.data[0].dataSetFileId;

      const b = await api.client(ORG_B, ['prod']);
      for (const headers of [b.headers('prod'), client.headers('dev')]) {
        await api.http.get(`${CATALOG}/dataSets/${ds}`).set(headers).expect(404);
        const list = await api.http.get(`${CATALOG}/dataSets?limit=100`).set(headers).expect(200);
        expect(list.body[ds]).toBeUndefined();
        await api.http.get(`${CATALOG}/batches/${batchId}`).set(headers).expect(404);
        const batches = await api.http.get(`${CATALOG}/batches?dataSet=${ds}`).set(headers).expect(200);
        expect(batches.body).toEqual({});
        await api.http
          .post(`${IMPORT}/batches`)
          .set(headers)
          .send({ datasetId: ds, inputFormat: { format: 'json' } })
          .expect(400);
        await api.http.put(`${IMPORT}/batches/${batchId}/datasets/${ds}/files/x.json`).set(headers).send('{}').expect(404);
        await api.http.post(`${IMPORT}/batches/${batchId}?action=ABORT`).set(headers).expect(404);
        await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(headers).expect(404);
        await api.http.get(`${DATA_ACCESS}/files/${fileId}`).set(headers).expect(404);
      }
    });
  });
});
