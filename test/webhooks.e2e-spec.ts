import { createHmac } from 'node:crypto';
import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { eventually } from './support/child-process';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const JOBS = '/data/core/ups/export/jobs';
const HOOKS = '/data/core/ups/config/webhooks';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback: records every request, answers `status()` (a function, so a test can change it). */
class Receiver {
  readonly received: Received[] = [];
  status = () => 200;
  private server?: Server;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        res.statusCode = this.status();
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

/** Standard Webhooks' check, written out from the specification (not our signer). */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`)
    .digest('base64');
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

/**
 * Webhooks on job end (issue #14) through the real API, a real worker, Postgres and Redis, with a
 * real HTTP receiver: signed deliveries of exactly the events subscribed to, retried until a
 * receiver that was down comes back, and URLs that point inside the network refused.
 */
describe('webhooks on export end', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  const settings = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_BACKOFF_MS: '300', RECONCILE_INTERVAL_MS: '200', WEBHOOK_TIMEOUT_MS: '2000' };

  beforeAll(async () => {
    env = await createTestEnv('webhooks');
    api = await ApiHarness.start(env.config(settings));
    worker = await startWorker(env.config(settings));
    client = await api.client(ORG_A, ['prod', 'dev']);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const hook = async (url: string, events: string[], sandbox = 'prod') =>
    (await api.http.post(HOOKS).set(client.headers(sandbox)).send({ url, events }).expect(201)).body as { id: string; secret: string; events: string[] };
  const exportJob = async () => {
    const res = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' } })
      .expect(200);
    const id = res.body.id as number;
    await eventually(async () => (await api.http.get(`${JOBS}/${id}`).set(client.headers())).body.status === 'SUCCEEDED', 30_000, 100);
    return id;
  };
  const deliveries = async (id: string, sandbox = 'prod') =>
    (await api.http.get(`${HOOKS}/${id}/deliveries`).set(client.headers(sandbox)).expect(200)).body.children as Array<Record<string, unknown>>;

  it('delivers a signed export.succeeded to the webhooks subscribed to it, and to no other', async () => {
    const receiver = new Receiver();
    await receiver.start();
    try {
      const succeeded = await hook(receiver.url, ['export.succeeded']);
      expect(succeeded.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
      const failedOnly = await hook(receiver.url.replace('/hook', '/failed-only'), ['export.failed']);
      const otherSandbox = await hook(receiver.url.replace('/hook', '/dev'), ['export.succeeded'], 'dev');
      const id = await exportJob();
      await eventually(async () => receiver.received.length >= 1, 10_000, 50);
      // Two more reconcile passes: anything else that was due would have come by now.
      await new Promise((r) => setTimeout(r, 1000));
      expect(receiver.received).toHaveLength(1);
      const [r] = receiver.received;
      expect(verify(succeeded.secret, r)).toBe(true);
      expect(verify(failedOnly.secret, r)).toBe(false);
      const body = JSON.parse(r.body);
      expect(body).toMatchObject({ id: r.headers['webhook-id'], type: 'export.succeeded', orgId: ORG_A, sandboxName: 'prod', data: { id, status: 'SUCCEEDED' } });
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      const log = await deliveries(succeeded.id);
      expect(log).toEqual([expect.objectContaining({ id: r.headers['webhook-id'], event: 'export.succeeded', status: 'delivered', attempts: 1, lastStatusCode: 200 })]);
      expect(await deliveries(failedOnly.id)).toEqual([]);
      expect(await deliveries(otherSandbox.id, 'dev')).toEqual([]);
      // Another sandbox's webhook is not this one's: 404, as any other id.
      await api.http.get(`${HOOKS}/${otherSandbox.id}/deliveries`).set(client.headers('prod')).expect(404);
      // Listing never shows the secret.
      const listed = (await api.http.get(HOOKS).set(client.headers()).expect(200)).body.children as Array<Record<string, unknown>>;
      expect(listed.map((w) => w.id).sort()).toEqual([succeeded.id, failedOnly.id].sort());
      expect(listed.every((w) => w.secret === undefined)).toBe(true);
      for (const w of [succeeded, failedOnly]) await api.http.delete(`${HOOKS}/${w.id}`).set(client.headers()).expect(204);
      await api.http.delete(`${HOOKS}/${otherSandbox.id}`).set(client.headers('dev')).expect(204);
    } finally {
      await receiver.stop();
    }
  });

  it('a receiver that is down (refused connections, then 503s) gets the delivery once it is back, same delivery id', async () => {
    const receiver = new Receiver();
    await receiver.start();
    const port = receiver.port;
    await receiver.stop(); // down: connections refused
    const w = await hook(`http://127.0.0.1:${port}/hook`, ['export.succeeded']);
    await exportJob();
    await eventually(async () => ((await deliveries(w.id))[0]?.attempts as number) >= 2, 15_000, 100);
    const down = (await deliveries(w.id))[0];
    expect(down).toMatchObject({ status: 'pending', lastError: expect.stringContaining('ECONNREFUSED') });
    expect(down.nextAttemptAt).toEqual(expect.any(Number));
    // Back, but answering 503 once before it recovers.
    let answers = 0;
    receiver.status = () => (answers++ === 0 ? 503 : 204);
    await receiver.start(port);
    try {
      await eventually(async () => (await deliveries(w.id))[0]?.status === 'delivered', 20_000, 100);
      const done = (await deliveries(w.id))[0];
      expect(done).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
      expect(done.attempts as number).toBeGreaterThanOrEqual(4);
      expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([done.id, done.id]);
      expect(receiver.received.every((r) => verify(w.secret, r))).toBe(true);
    } finally {
      await receiver.stop();
      await api.http.delete(`${HOOKS}/${w.id}`).set(client.headers()).expect(204);
    }
  });

  it('delivers segment-job.succeeded when a segment job ends', async () => {
    const receiver = new Receiver();
    await receiver.start();
    try {
      const w = await hook(receiver.url, ['segment-job.succeeded', 'export.failed']);
      await api.http
        .post('/data/core/ups/segment/definitions')
        .set(client.headers())
        .send({
          id: 'bbbbbbbb-0000-4000-8000-000000000001',
          name: 'hooked',
          expression: { type: 'PQL', format: 'pql/text', value: 'person.name.firstName = "Ann"' },
          schema: { name: '_xdm.context.profile' },
          mergePolicyId: 'timestampOrdered-none-mp',
        })
        .expect(200);
      const job = await api.http
        .post('/data/core/ups/segment/jobs')
        .set(client.headers())
        .send([{ segmentId: 'bbbbbbbb-0000-4000-8000-000000000001' }])
        .expect(200);
      await eventually(async () => receiver.received.length >= 1, 20_000, 100);
      const body = JSON.parse(receiver.received[0].body);
      expect(body).toMatchObject({ type: 'segment-job.succeeded', data: { id: job.body.id, status: 'SUCCEEDED' } });
      expect(verify(w.secret, receiver.received[0])).toBe(true);
      await api.http.delete(`${HOOKS}/${w.id}`).set(client.headers()).expect(204);
    } finally {
      await receiver.stop();
    }
  });

  it('refuses URLs to loopback, private or link-local addresses, and bad bodies, naming the field', async () => {
    const guarded = await ApiHarness.start(env.config());
    try {
      for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x', 'http://localhost/x']) {
        const res = await guarded.http
          .post(HOOKS)
          .set(client.headers())
          .send({ url, events: ['export.failed'] })
          .expect(400);
        expect(JSON.stringify(res.body)).toMatch(/url/);
      }
      const scheme = await guarded.http
        .post(HOOKS)
        .set(client.headers())
        .send({ url: 'ftp://example.com/x', events: ['export.failed'] })
        .expect(400);
      expect(JSON.stringify(scheme.body)).toContain('http(s)');
      const events = await guarded.http
        .post(HOOKS)
        .set(client.headers())
        .send({ url: 'https://example.com/x', events: ['export.exploded'] })
        .expect(400);
      expect(JSON.stringify(events.body)).toContain('events');
      await guarded.http.post(HOOKS).set(client.headers()).send({ url: 'https://example.com/x' }).expect(400);
      await guarded.http.get(`${HOOKS}/not-a-uuid`).set(client.headers()).expect(400);
      await guarded.http.get(`${HOOKS}/00000000-0000-4000-8000-000000000000`).set(client.headers()).expect(404);
      await guarded.http.get(HOOKS).expect(403); // no credentials: the gateway's answer
    } finally {
      await guarded.close();
    }
  });
});
