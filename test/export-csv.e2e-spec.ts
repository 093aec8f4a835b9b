import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { batchFiles } from './support/batch-files';
import { eventually } from './support/child-process';
import { ProfileStoreClient } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const JOBS = '/data/core/ups/export/jobs';
const POLICIES = '/data/core/ups/config/mergePolicies';
const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';
const realized = (at: string) => ({ status: 'realized', lastQualificationTime: at });

/**
 * ann: a CRM fragment with every awkward value (quotes, a comma, LF, an empty string, a number, a
 * boolean, an object, an array of objects the request could not know of) and a web fragment
 * (ECID primary, the same Email: one profile under pdg). bob: a CRM fragment (CR, CRLF, unicode,
 * zero, false, a null object) and a newer web fragment with the same primary identity (merged
 * under any graph: the newer points win). cat: little but a name (missing paths).
 */
const crm = [
  {
    identityMap: { Email: [{ id: 'ann@x.io', primary: true }] },
    person: { name: { firstName: 'Ann "The Hammer"', lastName: 'Lee, Jr.' } },
    loyalty: { points: 10.5, member: true },
    note: 'line one\nline two',
    empty: '',
    homeAddress: { city: 'Paris', country: 'FR' },
    subscriptions: [{ channel: 'email', optIn: true }, { optIn: false }],
    segmentMembership: { ups: { [S1]: realized('2024-03-01T00:00:00Z') } },
  },
  {
    identityMap: { Email: [{ id: 'bob@x.io', primary: true }] },
    person: { name: { firstName: 'Bøb 日本語 🎉' } },
    loyalty: { points: 0, member: false },
    note: 'cr\rthen crlf\r\nend',
    homeAddress: null,
    segmentMembership: { ups: { [S1]: realized('2024-05-01T00:00:00Z') } },
  },
  {
    identityMap: { Email: [{ id: 'cat@x.io', primary: true }] },
    person: { name: { lastName: 'Cat' } },
    segmentMembership: { ups: { [S2]: realized('2024-04-01T00:00:00Z') } },
  },
];
const web = [
  { identityMap: { ECID: [{ id: 'e-ann', primary: true }], Email: [{ id: 'ann@x.io' }] }, note: 'web, "newer"' },
  { identityMap: { Email: [{ id: 'bob@x.io', primary: true }] }, loyalty: { points: 7 } },
];

const COLUMNS = [
  'identityMap',
  'person.name.firstName',
  'person.name.lastName',
  'loyalty.points',
  'loyalty.member',
  'note',
  'empty',
  'homeAddress',
  'subscriptions.channel',
  'missing.path',
];
// Whitespace and a duplicate, normalised as `fields` is everywhere: the columns above.
const FIELDS = ' identityMap, person.name.firstName ,person . name.lastName,loyalty.points,loyalty.member,note,empty,homeAddress,subscriptions.channel,missing.path,note';

type Cell = string | null;

/**
 * A strict RFC 4180 reader: records end with CRLF (the last one too); a field is either quoted
 * (`""` inside for a quote, anything else as is) or has no quote, comma, CR or LF. An unquoted
 * empty field is null (what the export writes for a missing value), a quoted one ''.
 */
function parseCsv(text: string): Cell[][] {
  const records: Cell[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: Cell[] = [];
    for (;;) {
      let field: Cell;
      if (text[i] === '"') {
        let value = '';
        for (let j = i + 1; ;) {
          const quote = text.indexOf('"', j);
          if (quote < 0) throw new Error(`unterminated quoted field at ${i}`);
          value += text.slice(j, quote);
          if (text[quote + 1] === '"') {
            value += '"';
            j = quote + 2;
            continue;
          }
          i = quote + 1;
          break;
        }
        field = value;
      } else {
        let j = i;
        for (; j < text.length && !',\r\n'.includes(text[j]); j++) if (text[j] === '"') throw new Error(`a quote inside an unquoted field at ${j}`);
        field = j === i ? null : text.slice(i, j);
        i = j;
      }
      record.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected a comma or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    records.push(record);
  }
  return records;
}

/** What the CSV cell of a JSON Lines row's value must read as (README "CSV output"). */
function expectedCell(row: Record<string, unknown>, path: string): Cell {
  let value: unknown = row;
  for (const key of path.split('.')) {
    if (Array.isArray(value)) break; // an array on the way: the cell is its JSON text
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

describe('CSV output: REST → worker → committed .csv files read back through Data Access', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let out: string;

  beforeAll(async () => {
    env = await createTestEnv('csv');
    const config = env.config({ EXPORT_FILE_ROWS: '3', EXPORT_PROGRESS_INTERVAL_MS: '200' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod']);
    const store = new ProfileStoreClient(api, client);
    out = client.datasets.prod;
    const crmDs = await store.createDataset('crm');
    const webDs = await store.createDataset('web');
    await store.ingest(crmDs, crm);
    await store.ingest(webDs, web);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const post = (body: Record<string, unknown>, destination: Record<string, unknown>) =>
    api.http
      .post(JOBS)
      .set(client.headers())
      .send({ schema: { name: '_xdm.context.profile' }, ...body, destination: { datasetId: out, ...destination } });

  async function runJob(body: Record<string, unknown>, destination: Record<string, unknown>) {
    const created = await post(body, destination).expect(200);
    let job = created.body;
    await eventually(async () => {
      job = (await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers()).expect(200)).body;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
    }, 60_000);
    expect([job.status, job.errors]).toEqual(['SUCCEEDED', undefined]);
    return job;
  }

  /** The committed files of a batch, downloaded through Data Access: names, Content-Types, bytes. */
  const filesOf = async (batchId: string) => (await batchFiles(api, client, batchId)).sort((a, b) => a.name.localeCompare(b.name));

  /** Every data record of a CSV batch, after checking that each file starts with the header. */
  async function csvRows(batchId: string): Promise<Cell[][]> {
    const rows: Cell[][] = [];
    for (const file of await filesOf(batchId)) {
      expect(file.name).toMatch(/^part-\d+(-\d+)?\.csv$/);
      expect(file.type).toBe('text/csv; charset=utf-8');
      expect(file.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false); // no BOM
      const [header, ...records] = parseCsv(file.bytes.toString('utf8'));
      expect(header).toEqual(COLUMNS);
      for (const r of records) expect(r).toHaveLength(COLUMNS.length);
      rows.push(...records);
    }
    return rows;
  }

  async function jsonlRows(batchId: string): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const file of await filesOf(batchId)) {
      expect(file.name).toMatch(/\.jsonl$/);
      rows.push(
        ...file.bytes
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
    }
    return rows;
  }

  /** The same job as JSON Lines, each row read through the columns as the CSV must show it. */
  async function asJsonlCells(body: Record<string, unknown>, destination: Record<string, unknown>, batch: (job: any) => string): Promise<Cell[][]> {
    const job = await runJob(body, { ...destination, outputFormat: 'jsonl' });
    return (await jsonlRows(batch(job))).map((row) => COLUMNS.map((c) => expectedCell(row, c)));
  }

  it('one column per fields path, each value as README says, in key order, split into files that each have the header', async () => {
    const job = await runJob({ fields: FIELDS }, { outputFormat: 'csv' });
    const files = await filesOf(job.destination.batchId);
    expect(files.map((f) => f.name)).toEqual(['part-00000.csv', 'part-00001.csv']); // EXPORT_FILE_ROWS 3, four rows
    const rows = await csvRows(job.destination.batchId);
    expect(rows).toEqual([
      // ECID:e-ann (graph none: its own profile)
      [JSON.stringify(web[0].identityMap), null, null, null, null, 'web, "newer"', null, null, null, null],
      // Email:ann@x.io
      [
        JSON.stringify(crm[0].identityMap),
        'Ann "The Hammer"',
        'Lee, Jr.',
        '10.5',
        'true',
        'line one\nline two',
        '',
        '{"city":"Paris","country":"FR"}',
        '[{"channel":"email"},{}]',
        null,
      ],
      // Email:bob@x.io: two fragments merged, the newer web points win
      [JSON.stringify(crm[1].identityMap), 'Bøb 日本語 🎉', null, '7', 'false', 'cr\rthen crlf\r\nend', null, null, null, null],
      // Email:cat@x.io
      [JSON.stringify(crm[2].identityMap), null, 'Cat', null, null, null, null, null, null, null],
    ]);
    // The bytes themselves: CRLF record ends, quotes doubled, an empty string quoted, a missing value bare.
    const text = files[0].bytes.toString('utf8');
    expect(text.startsWith(`${COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(text).toContain(',"Ann ""The Hammer""","Lee, Jr.",10.5,true,"line one\nline two","","{""city"":""Paris"",""country"":""FR""}","[{""channel"":""email""},{}]",\r\n');
    expect(rows).toEqual(await asJsonlCells({ fields: FIELDS }, {}, (j) => j.destination.batchId));

    const batch = await api.http.get(`/data/foundation/catalog/batches/${job.destination.batchId}`).set(client.headers()).expect(200);
    expect(batch.body[job.destination.batchId]).toMatchObject({ status: 'success', metrics: { recordsWritten: 4 } });
  });

  it('pdg and segmentPerBatch: each segment batch as CSV reads as the same export in JSON Lines', async () => {
    const policy = await api.http
      .post(POLICIES)
      .set(client.headers())
      .send({ name: 'graph', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' } })
      .expect(200);
    const body = { fields: FIELDS, mergePolicy: { id: policy.body.id, version: 1 }, filter: { segments: [{ segmentId: S1 }, { segmentId: S2 }] } };
    const job = await runJob(body, { outputFormat: 'csv', segmentPerBatch: true });
    const first = await csvRows(job.destination.batches[0].batchId);
    // S1: ann (her two fragments merged: the newer web note wins) and bob.
    expect(first.map((r) => [r[1], r[5]])).toEqual([
      ['Ann "The Hammer"', 'web, "newer"'],
      ['Bøb 日本語 🎉', 'cr\rthen crlf\r\nend'],
    ]);
    expect(first).toEqual(await asJsonlCells(body, { segmentPerBatch: true }, (j) => j.destination.batches[0].batchId));
    const second = await csvRows(job.destination.batches[1].batchId);
    expect(second).toEqual([[JSON.stringify(crm[2].identityMap), null, 'Cat', null, null, null, null, null, null, null]]);
  });

  it('a partitioned run writes the same records (files per partition, each with the header)', async () => {
    const whole = await runJob({ fields: FIELDS }, { outputFormat: 'csv' });
    const split = await runJob({ fields: FIELDS }, { outputFormat: 'csv', partitions: 2 });
    const files = await filesOf(split.destination.batchId);
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(await csvRows(split.destination.batchId)).toEqual(await csvRows(whole.destination.batchId));
  });

  const refused: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['no fields', 'fields', {}, /must name at least one path/],
    ['blank fields', 'fields', { fields: ' , ' }, /must name at least one path/],
    ['a path through identities', 'fields', { fields: 'person.name.firstName,identities.id' }, /"identities.id" goes through the array identities/],
    ['an identityMap namespace', 'fields', { fields: 'identityMap.Email' }, /"identityMap.Email" is an array/],
    ['eventList', 'additionalFields.eventList', { fields: 'person.name.firstName', additionalFields: { eventList: { fields: '_id' } } }, /not available with outputFormat "csv"/],
  ];

  it.each(refused)('400 for a CSV export with %s, naming %s; nothing stored', async (_, path, body, message) => {
    const before = await env.db.query('SELECT count(*)::int AS n FROM export_jobs');
    const res = await post(body, { outputFormat: 'csv' }).expect(400);
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', errors: [{ path, message: expect.stringMatching(message) }] });
    const after = await env.db.query('SELECT count(*)::int AS n FROM export_jobs');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('the same requests are accepted as JSON Lines (the refusals are CSV only)', async () => {
    const ids: number[] = [];
    for (const [, , body] of refused) ids.push((await post(body, { outputFormat: 'jsonl' }).expect(200)).body.id);
    // Let them finish before the worker stops.
    for (const id of ids) {
      await eventually(async () => (await api.http.get(`${JOBS}/${id}`).set(client.headers())).body.status === 'SUCCEEDED', 60_000);
    }
  });
});
