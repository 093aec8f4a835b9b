import { Redis } from 'ioredis';
import { ApiHarness, ORG_A, TEST_DATASET, TestClient, minimalJobBody, referenceJobBody } from './support/api-harness';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';

describe('export jobs API (real Postgres and Redis)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('jobs');
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod', 'dev']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const post = (body: Record<string, unknown>, sandbox = 'prod') => api.http.post(JOBS).set(client.headers(sandbox)).send(client.job(body, sandbox));
  const queuedJobIds = async () => {
    const ids = await env.redis.zrange(`${env.queuePrefix}:segment-export:prioritized`, '0', '-1');
    return [...ids, ...(await env.redis.lrange(`${env.queuePrefix}:segment-export:wait`, 0, -1))];
  };

  describe('POST', () => {
    it('answers the reference example with a NEW job of the reference shape, stored and queued', async () => {
      const res = await post(referenceJobBody()).set('x-request-id', 'req-create-1').expect(200);
      const job = res.body;
      expect(res.headers['x-request-id']).toBe('req-create-1');
      expect(job).toEqual({
        id: expect.any(Number),
        jobType: 'BATCH',
        destination: { datasetId: client.datasets.prod, segmentPerBatch: false },
        fields: 'identities.id,personalEmail.address',
        schema: { name: '_xdm.context.profile' },
        imsOrgId: ORG_A,
        status: 'NEW',
        filter: referenceJobBody().filter,
        additionalFields: referenceJobBody().additionalFields,
        mergePolicy: { id: 'timestampOrdered-none-mp', version: 1 },
        evaluationInfo: { segmentation: false },
        profileInstanceId: 'ups',
        metrics: { totalTime: { startTimeInMs: job.creationTime } },
        computeGatewayJobId: { exportJob: '' },
        creationTime: expect.any(Number),
        updateTime: expect.any(Number),
        requestId: 'req-create-1',
      });
      expect(Math.abs(job.creationTime - Date.now())).toBeLessThan(60_000);
      // Key order of the client's objects is kept (stored as json, not jsonb).
      expect(Object.keys(job.filter.segments[0])).toEqual(['segmentId', 'segmentNs', 'status']);

      const stored = await env.db.query('SELECT status, org_id, sandbox_name FROM export_jobs WHERE id = $1', [job.id]);
      expect(stored.rows).toEqual([{ status: 'NEW', org_id: ORG_A, sandbox_name: 'prod' }]);
      expect(await queuedJobIds()).toContain(`export-${job.id}`);
      const outbox = await env.db.query('SELECT job_id FROM export_job_outbox WHERE job_id = $1', [job.id]);
      expect(outbox.rowCount).toBe(0); // enqueued, so the marker is gone
    });

    it('fills the defaults of segments and destination', async () => {
      const res = await post({ ...minimalJobBody(), filter: { segments: [{ segmentId: 's1' }] } }).expect(200);
      expect(res.body.filter.segments).toEqual([{ segmentId: 's1', segmentNs: 'ups', status: ['realized'] }]);
      expect(res.body.destination).toEqual({ datasetId: client.datasets.prod, segmentPerBatch: false });
      expect(res.body).not.toHaveProperty('fields');
      expect(res.body).not.toHaveProperty('errors');
    });

    const invalid: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['missing destination', { schema: { name: 'x' } }, 'destination', /is required/],
      ['missing destination.datasetId', { destination: {}, schema: { name: 'x' } }, 'destination.datasetId', /is required/],
      ['empty datasetId', { destination: { datasetId: '' }, schema: { name: 'x' } }, 'destination.datasetId', /empty/],
      ['missing schema', { destination: { datasetId: 'd' } }, 'schema', /is required/],
      ['missing schema.name', { destination: { datasetId: 'd' }, schema: {} }, 'schema.name', /is required/],
      ['destination not an object', { destination: 'd', schema: { name: 'x' } }, 'destination', /object/],
      ['segmentPerBatch not boolean', { ...minimalJobBody(), destination: { datasetId: 'd', segmentPerBatch: 'yes' } }, 'destination.segmentPerBatch', /boolean/],
      ['fields not a string', { ...minimalJobBody(), fields: ['a'] }, 'fields', /string/],
      ['mergePolicy.id missing', { ...minimalJobBody(), mergePolicy: { version: 1 } }, 'mergePolicy.id', /is required/],
      ['mergePolicy.version not an integer', { ...minimalJobBody(), mergePolicy: { id: 'm', version: 1.5 } }, 'mergePolicy.version', /integer/],
      ['segments not an array', { ...minimalJobBody(), filter: { segments: {} } }, 'filter.segments', /array/],
      ['segments empty', { ...minimalJobBody(), filter: { segments: [] } }, 'filter.segments', /at least 1/],
      ['segmentId missing', { ...minimalJobBody(), filter: { segments: [{ segmentNs: 'ups' }] } }, 'filter.segments[0].segmentId', /is required/],
      [
        'unknown segment status',
        { ...minimalJobBody(), filter: { segments: [{ segmentId: 's', status: ['realized', 'gone'] }] } },
        'filter.segments[0].status',
        /realized, existing, exited/,
      ],
      ['status not an array', { ...minimalJobBody(), filter: { segments: [{ segmentId: 's', status: 'realized' }] } }, 'filter.segments[0].status', /array/],
      [
        'startTime not ISO 8601',
        { ...minimalJobBody(), filter: { segmentQualificationTime: { startTime: '01/01/2018' } } },
        'filter.segmentQualificationTime.startTime',
        /ISO 8601/,
      ],
      [
        'endTime before startTime',
        { ...minimalJobBody(), filter: { segmentQualificationTime: { startTime: '2018-02-01T00:00:00Z', endTime: '2018-01-01T00:00:00Z' } } },
        'filter.segmentQualificationTime.endTime',
        /before startTime/,
      ],
      ['fromIngestTimestamp without zone', { ...minimalJobBody(), filter: { fromIngestTimestamp: '2018-01-01T00:00:00' } }, 'filter.fromIngestTimestamp', /ISO 8601/],
      ['impossible date', { ...minimalJobBody(), filter: { fromIngestTimestamp: '2018-13-45T00:00:00Z' } }, 'filter.fromIngestTimestamp', /ISO 8601/],
      ['emptyProfiles not boolean', { ...minimalJobBody(), filter: { emptyProfiles: 'true' } }, 'filter.emptyProfiles', /boolean/],
      ['eventList.fields not a string', { ...minimalJobBody(), additionalFields: { eventList: { fields: 3 } } }, 'additionalFields.eventList.fields', /string/],
      [
        'toIngestTimestamp not ISO',
        { ...minimalJobBody(), additionalFields: { eventList: { filter: { toIngestTimestamp: 'soon' } } } },
        'additionalFields.eventList.filter.toIngestTimestamp',
        /ISO 8601/,
      ],
      [
        'event window reversed',
        { ...minimalJobBody(), additionalFields: { eventList: { filter: { fromIngestTimestamp: '2020-01-01T00:00:00Z', toIngestTimestamp: '2018-01-01T00:00:00Z' } } } },
        'additionalFields.eventList.filter.toIngestTimestamp',
        /after fromIngestTimestamp/,
      ],
      ['evaluationInfo.segmentation not boolean', { ...minimalJobBody(), evaluationInfo: { segmentation: 1 } }, 'evaluationInfo.segmentation', /boolean/],
      ['segment evaluation with no segment to evaluate', { ...minimalJobBody(), evaluationInfo: { segmentation: true } }, 'evaluationInfo.segmentation', /needs filter.segments/],
      [
        'a dataset that does not exist in the sandbox',
        { destination: { datasetId: '0'.repeat(24) }, schema: { name: '_xdm.context.profile' } },
        'destination.datasetId',
        /no such dataset/,
      ],
      ["a schema that is not the dataset's", { ...minimalJobBody(), schema: { name: '_xdm.context.experienceevent' } }, 'schema.name', /must be "_xdm.context.profile"/],
      ['an unknown merge policy', { ...minimalJobBody(), mergePolicy: { id: 'no-such-policy', version: 1 } }, 'mergePolicy.id', /no such merge policy/],
      ['an unknown output format', { ...minimalJobBody(), destination: { datasetId: TEST_DATASET, outputFormat: 'avro' } }, 'destination.outputFormat', /parquet, jsonl, csv/],
      ['unknown top-level property', { ...minimalJobBody(), destinations: {} }, 'destinations', /not a known property/],
      ['unknown nested property', { ...minimalJobBody(), filter: { segments: [{ segmentId: 's', segmentNS: 'ups' }] } }, 'filter.segments[0].segmentNS', /not a known property/],
    ];

    it.each(invalid)('400 for %s, naming %s', async (_, body, path, message) => {
      const before = await env.db.query('SELECT count(*)::int AS n FROM export_jobs');
      const res = await post(body).expect(400);
      expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', requestId: res.headers['x-request-id'] });
      expect(res.body.errors).toEqual(expect.arrayContaining([{ path: _ && path, message: expect.stringMatching(message) }]));
      const after = await env.db.query('SELECT count(*)::int AS n FROM export_jobs');
      expect(after.rows[0].n).toBe(before.rows[0].n); // never a partial write
    });

    it('names every offending field at once', async () => {
      const res = await post({ destination: { segmentPerBatch: 1 }, filter: { segments: [{ status: ['x'] }] } }).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
        ['destination.datasetId', 'destination.segmentPerBatch', 'filter.segments[0].segmentId', 'filter.segments[0].status', 'schema'].sort(),
      );
    });

    it('400 for malformed JSON, 415 for another content type, 413 for an oversized body, 400 for a non-object', async () => {
      const bad = await api.http.post(JOBS).set(client.headers()).set('Content-Type', 'application/json').send('{"destination":').expect(400);
      expect(bad.body).toMatchObject({ status: 400, detail: 'The request body is not valid JSON.' });
      expect(JSON.stringify(bad.body)).not.toMatch(/SyntaxError|at JSON|position/);

      const text = await api.http.post(JOBS).set(client.headers()).set('Content-Type', 'text/plain').send('hello').expect(415);
      expect(text.body).toMatchObject({ status: 415, detail: 'Content-Type must be application/json.' });

      const huge = { ...minimalJobBody(), fields: 'a'.repeat(1024 * 1024 + 10) };
      const big = await post(huge).expect(413);
      expect(big.body).toMatchObject({ status: 413, title: 'Payload Too Large' });

      const arr = await api.http.post(JOBS).set(client.headers()).set('Content-Type', 'application/json').send('[1,2]').expect(400);
      expect(arr.body.detail).toBe('The request body must be a JSON object.');
    });

    it('accepts the sandboxes the client may use and keeps jobs apart per sandbox', async () => {
      const inDev = await post(minimalJobBody('dev-dataset'), 'dev').expect(200);
      await api.http.get(`${JOBS}/${inDev.body.id}`).set(client.headers('dev')).expect(200);
      await api.http.get(`${JOBS}/${inDev.body.id}`).set(client.headers('prod')).expect(404);
    });
  });

  describe('GET one', () => {
    it('returns the job as created', async () => {
      const created = await post(referenceJobBody()).expect(200);
      const res = await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers()).expect(200);
      expect(res.body).toEqual(created.body);
    });

    it.each([['abc'], ['1.5'], ['-3'], ['0'], ['99999999999'], ['1e3']])('400 for id %p', async (id) => {
      const res = await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(400);
      expect(res.body.errors).toEqual([{ path: 'id', message: expect.stringMatching(/whole number/) }]);
    });

    it('404 for an unknown id', async () => {
      const res = await api.http.get(`${JOBS}/2147483647`).set(client.headers()).expect(404);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found', detail: 'Export job 2147483647 does not exist.' });
    });
  });

  describe('GET list', () => {
    let other: TestClient;
    let ids: number[];

    beforeAll(async () => {
      // A separate sandbox, so that the jobs of the other tests do not mix in.
      other = await api.client(ORG_A, ['paging']);
      ids = [];
      for (let i = 0; i < 23; i++) {
        const res = await api.http
          .post(JOBS)
          .set(other.headers())
          .send(other.job(minimalJobBody(`ds-${i}`)))
          .expect(200);
        ids.push(res.body.id);
      }
      // Groups of jobs created in the same millisecond: the keyset must still not skip or repeat.
      await env.db.query(`UPDATE export_jobs SET creation_time = '2026-01-01T00:00:00.123Z' WHERE id = ANY($1)`, [ids.slice(0, 9)]);
      await env.db.query(`UPDATE export_jobs SET creation_time = '2026-01-01T00:00:00.456Z' WHERE id = ANY($1)`, [ids.slice(9, 16)]);
      await env.db.query(`UPDATE export_jobs SET status = 'SUCCEEDED' WHERE id = ANY($1)`, [ids.slice(0, 5)]);
    });

    const expectedOrder = () => {
      // newest first: ids 16..22 (now), then the .456 group, then the .123 group; ties by id desc
      const recent = ids.slice(16).reverse();
      return [...recent, ...ids.slice(9, 16).reverse(), ...ids.slice(0, 9).reverse()];
    };

    it('follows link.next until it is empty, seeing every job exactly once, newest first', async () => {
      const seen: number[] = [];
      let next = `/export/jobs?limit=4`;
      let pages = 0;
      while (next !== '') {
        const res = await api.http.get(`/data/core/ups${next}`).set(other.headers()).expect(200);
        pages++;
        expect(res.body.page).toEqual({ sortField: 'createdTime', sort: 'desc', pageOffset: expect.any(String), pageSize: res.body.records.length });
        expect(res.body.records.length).toBeLessThanOrEqual(4);
        seen.push(...res.body.records.map((r: { id: number }) => r.id));
        next = res.body.link.next;
        if (next) expect(next).toMatch(/^\/export\/jobs\/\?limit=4&offset=\d+_\d+$/);
        expect(pages).toBeLessThan(20);
      }
      expect(pages).toBe(6);
      expect(seen).toEqual(expectedOrder());
    });

    it('says where the page started and ends with an empty next link', async () => {
      const first = await api.http.get(`${JOBS}?limit=20`).set(other.headers()).expect(200);
      expect(first.body.page.pageOffset).toBe('');
      const offset = new URL(first.body.link.next, 'http://x').searchParams.get('offset');
      const last = await api.http.get(`${JOBS}?limit=20&offset=${offset}`).set(other.headers()).expect(200);
      expect(last.body.page.pageOffset).toBe(offset);
      expect(last.body.records).toHaveLength(3);
      expect(last.body.link).toEqual({ next: '' });
    });

    it('defaults to 20 and caps limit at 1000 without an error', async () => {
      const def = await api.http.get(JOBS).set(other.headers()).expect(200);
      expect(def.body.records).toHaveLength(20);
      const capped = await api.http.get(`${JOBS}?limit=5000`).set(other.headers()).expect(200);
      expect(capped.body.records).toHaveLength(23);
      expect(capped.body.link.next).toBe('');
    });

    it('filters by status, and the filter travels with link.next', async () => {
      const res = await api.http.get(`${JOBS}?status=SUCCEEDED&limit=3`).set(other.headers()).expect(200);
      expect(res.body.records.map((r: { status: string }) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(res.body.link.next).toMatch(/&status=SUCCEEDED$/);
      const rest = await api.http.get(`/data/core/ups${res.body.link.next}`).set(other.headers()).expect(200);
      expect(rest.body.records.map((r: { id: number }) => r.id)).toEqual([ids[1], ids[0]]);
      expect(rest.body.link.next).toBe('');
      const fresh = await api.http.get(`${JOBS}?status=NEW&limit=1000`).set(other.headers()).expect(200);
      expect(fresh.body.records).toHaveLength(18);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['offset=abc', 'offset'],
      ['offset=123', 'offset'],
      ['offset=1_2_3', 'offset'],
      ['status=DONE', 'status'],
      ['status=new', 'status'],
    ])('400 for %s', async (query, path) => {
      const res = await api.http.get(`${JOBS}?${query}`).set(other.headers()).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path })]);
    });
  });

  describe('DELETE', () => {
    it('cancels a NEW job at once and takes it off the queue (204, empty body)', async () => {
      const { body: job } = await post(minimalJobBody()).expect(200);
      expect(await queuedJobIds()).toContain(`export-${job.id}`);
      const res = await api.http.delete(`${JOBS}/${job.id}`).set(client.headers()).expect(204);
      expect(res.text).toBe('');
      const after = await api.http.get(`${JOBS}/${job.id}`).set(client.headers()).expect(200);
      expect(after.body.status).toBe('CANCELLED');
      expect(after.body.updateTime).toBeGreaterThanOrEqual(job.updateTime);
      expect(await queuedJobIds()).not.toContain(`export-${job.id}`);
    });

    it('persists a cancel request for a PROCESSING job and signals workers over Redis', async () => {
      const { body: job } = await post(minimalJobBody()).expect(200);
      await env.db.query(`UPDATE export_jobs SET status = 'PROCESSING' WHERE id = $1`, [job.id]);
      const subscriber = new Redis(env.redisUrl);
      const received = new Promise<string>((resolve) => subscriber.on('message', (_channel, message) => resolve(message)));
      await subscriber.subscribe(`${env.queuePrefix}:export-jobs:cancel`);
      try {
        await api.http.delete(`${JOBS}/${job.id}`).set(client.headers()).expect(204);
        expect(JSON.parse(await received)).toEqual({ exportJobId: job.id });
      } finally {
        subscriber.disconnect();
      }
      const row = await env.db.query('SELECT status, cancel_requested_at FROM export_jobs WHERE id = $1', [job.id]);
      expect(row.rows[0].status).toBe('PROCESSING'); // the worker ends it, CANCELLED
      expect(row.rows[0].cancel_requested_at).toBeInstanceOf(Date);
    });

    it('deletes a finished job: hidden from get and list', async () => {
      const { body: job } = await post(minimalJobBody()).expect(200);
      await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [job.id]);
      await api.http.delete(`${JOBS}/${job.id}`).set(client.headers()).expect(204);
      await api.http.get(`${JOBS}/${job.id}`).set(client.headers()).expect(404);
      const list = await api.http.get(`${JOBS}?limit=1000`).set(client.headers()).expect(200);
      expect(list.body.records.map((r: { id: number }) => r.id)).not.toContain(job.id);
      await api.http.delete(`${JOBS}/${job.id}`).set(client.headers()).expect(404);
    });

    it('404 for an unknown id, 400 for a malformed one', async () => {
      await api.http.delete(`${JOBS}/2147483000`).set(client.headers()).expect(404);
      await api.http.delete(`${JOBS}/x`).set(client.headers()).expect(400);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first job to concurrent requests with the same key, and stores one', async () => {
      const body = minimalJobBody('idem-dataset');
      const responses = await Promise.all(Array.from({ length: 8 }, () => post(body).set('Idempotency-Key', 'key-concurrent-1')));
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
      const ids = new Set(responses.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      const stored = await env.db.query(`SELECT count(*)::int AS n FROM export_jobs WHERE fields = 'idem-dataset'`);
      expect(stored.rows[0].n).toBe(1);
      const later = await post(body).set('Idempotency-Key', 'key-concurrent-1').expect(200);
      expect(later.body.id).toBe([...ids][0]);
    });

    it('a different key, or no key, makes a new job', async () => {
      const body = minimalJobBody('idem-2');
      const a = await post(body).set('Idempotency-Key', 'k-a').expect(200);
      const b = await post(body).set('Idempotency-Key', 'k-b').expect(200);
      const c = await post(body).expect(200);
      expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
    });

    it('422 when the same key comes with another body', async () => {
      await post(minimalJobBody('idem-3')).set('Idempotency-Key', 'k-reuse').expect(200);
      const res = await post(minimalJobBody('idem-3-other')).set('Idempotency-Key', 'k-reuse').expect(422);
      expect(res.body.detail).toMatch(/already used with a different request body/);
    });

    it('a key older than 24 hours no longer replays', async () => {
      const first = await post(minimalJobBody('idem-4')).set('Idempotency-Key', 'k-old').expect(200);
      await env.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-old'`);
      const second = await post(minimalJobBody('idem-4')).set('Idempotency-Key', 'k-old').expect(200);
      expect(second.body.id).not.toBe(first.body.id);
    });

    it('400 for a malformed key', async () => {
      const res = await post(minimalJobBody()).set('Idempotency-Key', 'x'.repeat(300)).expect(400);
      expect(res.body.errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    });
  });
});
