import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { rawHttp } from './support/raw-http';
import { TestEnv, createTestEnv } from './support/test-env';

// Issue #9: bad input of every kind, over every endpoint, gets a 4xx in the service's problem shape
// (or the gateway's / OAuth's where those answer), never a 5xx, and never creates anything.

const JOBS = '/data/core/ups/export/jobs';
const POLICIES = '/data/core/ups/config/mergePolicies';
const SEGMENTS = '/data/core/ups/segment/definitions';
const CATALOG = '/data/foundation/catalog';
const IMPORT = '/data/foundation/import';
const DATA_ACCESS = '/data/foundation/export';
const TOKEN = '/ims/token/v3';
const UPLOAD_LIMIT = 1024 * 1024; // MAX_UPLOAD_BYTES of this test's API

const UNKNOWN_DATASET = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const UNKNOWN_BATCH = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const UNKNOWN_FILE = `${UNKNOWN_BATCH}-cccccccccccc`;
const UNKNOWN_UUID = '0b6a0b6a-0b6a-4b6a-8b6a-0b6a0b6a0b6a';

/** `{"a":{"a":…1…}}`, nested `levels` objects deep, as text (JSON.stringify would recurse). */
const deepObject = (levels: number, key = 'a') => `${`{"${key}":`.repeat(levels)}1${'}'.repeat(levels)}`;
/** A known field whose value is an array nested `levels` deep. */
const deepField = (field: string, levels: number) => `{"${field}":${'['.repeat(levels)}${']'.repeat(levels)}}`;
const json = (value: unknown) => JSON.stringify(value);

// Valid bodies, each spoiled in one way by the entries below.
const job = (over: Record<string, unknown> = {}) => ({ destination: { datasetId: '{dataset}' }, schema: { name: '_xdm.context.profile' }, ...over });
const dataset = (over: Record<string, unknown> = {}) => ({ name: 'CRM', schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile' }, ...over });
const batch = (over: Record<string, unknown> = {}) => ({ datasetId: '{dataset}', inputFormat: { format: 'json' }, ...over });
const policy = (over: Record<string, unknown> = {}) => ({ name: 'P', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'none' }, ...over });
const segment = (over: Record<string, unknown> = {}) => ({ name: 'S', expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' }, ...over });
/** A valid body as JSON text with `"key": value` spliced in first: keys JSON.stringify cannot write (`__proto__`). */
const withKey = (body: Record<string, unknown>, key: string, value = '1') => `{${json(key)}:${value},${json(body).slice(1)}`;
/** A valid body with one nested object given as raw JSON text. */
const withRaw = (body: Record<string, unknown>, field: string, raw: string) => json({ ...body, [field]: '§' }).replace('"§"', raw);

type Auth = 'aep' | 'none' | 'admin' | Record<string, string>;

interface BadRequest {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `{dataset}` and `{batch}` are replaced by fixtures of the test's client. */
  path: string;
  /** Text is sent as it is (with `type`), anything else as JSON. */
  body?: unknown;
  type?: string;
  auth?: Auth;
  /** A raw request over TCP (the head; the body is a few bytes) when a client would not send it. */
  raw?: { contentLength: number; type?: string };
  status: number;
  /** A problem body must name this field in `errors`. */
  field?: string;
  message?: RegExp;
}

const NUL = '\u0000';

const corpus: BadRequest[] = [
  // ---- token endpoint
  { name: 'token: no grant_type', method: 'POST', path: TOKEN, type: 'application/x-www-form-urlencoded', body: 'client_id=x', auth: 'none', status: 400 },
  { name: 'token: password grant', method: 'POST', path: TOKEN, type: 'application/x-www-form-urlencoded', body: 'grant_type=password', auth: 'none', status: 400 },
  {
    name: 'token: no client_secret',
    method: 'POST',
    path: TOKEN,
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=client_credentials&client_id=x',
    auth: 'none',
    status: 400,
  },
  {
    name: 'token: unknown client',
    method: 'POST',
    path: TOKEN,
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=client_credentials&client_id=x&client_secret=y',
    auth: 'none',
    status: 401,
  },
  {
    name: 'token: NUL in form client_id',
    method: 'POST',
    path: TOKEN,
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=client_credentials&client_id=a%00b&client_secret=y',
    auth: 'none',
    status: 400,
    field: 'client_id',
    message: /NUL/,
  },
  {
    name: 'token: NUL in form key',
    method: 'POST',
    path: TOKEN,
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=client_credentials&a%00=1',
    auth: 'none',
    status: 400,
    message: /NUL/,
  },
  {
    name: 'token: NUL in JSON client_id',
    method: 'POST',
    path: TOKEN,
    body: { grant_type: 'client_credentials', client_id: `a${NUL}b`, client_secret: 'y' },
    auth: 'none',
    status: 400,
    field: 'client_id',
  },
  { name: 'token: malformed JSON', method: 'POST', path: TOKEN, type: 'application/json', body: '{"grant_type":', auth: 'none', status: 400 },
  {
    name: 'token: JSON nested 100,000 deep',
    method: 'POST',
    path: TOKEN,
    type: 'application/json',
    body: deepObject(100_000),
    auth: 'none',
    status: 400,
    message: /nested deeper than 32/,
  },
  {
    name: 'token: __proto__ key',
    method: 'POST',
    path: TOKEN,
    type: 'application/json',
    body: withKey({ grant_type: 'client_credentials' }, '__proto__', '{"x":1}'),
    auth: 'none',
    status: 400,
    field: '__proto__',
  },
  {
    name: 'token: form over 16 KiB',
    method: 'POST',
    path: TOKEN,
    type: 'application/x-www-form-urlencoded',
    body: `grant_type=client_credentials&pad=${'x'.repeat(17 * 1024)}`,
    auth: 'none',
    status: 413,
  },
  { name: 'token: declared 100 MB form', method: 'POST', path: TOKEN, raw: { contentLength: 100_000_000, type: 'application/x-www-form-urlencoded' }, auth: 'none', status: 413 },
  { name: 'token: text/plain', method: 'POST', path: TOKEN, type: 'text/plain', body: 'grant_type=client_credentials', auth: 'none', status: 400 },
  { name: 'token: JSON array', method: 'POST', path: TOKEN, body: [1, 2], auth: 'none', status: 400 },
  { name: 'token: GET', method: 'GET', path: TOKEN, auth: 'none', status: 404 },

  // ---- gateway headers (export jobs)
  { name: 'jobs: no Authorization', method: 'POST', path: JOBS, body: job(), auth: 'none', status: 403 },
  { name: 'jobs: Basic instead of Bearer', method: 'POST', path: JOBS, body: job(), auth: { Authorization: 'Basic YTpi' }, status: 403 },
  { name: 'jobs: forged token', method: 'POST', path: JOBS, body: job(), auth: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' }, status: 401 },
  { name: 'jobs: no x-api-key', method: 'POST', path: JOBS, body: job(), auth: { 'x-api-key': '' }, status: 403 },
  { name: 'jobs: foreign x-api-key', method: 'POST', path: JOBS, body: job(), auth: { 'x-api-key': 'someone-else' }, status: 403 },
  { name: 'jobs: no org header', method: 'POST', path: JOBS, body: job(), auth: { 'x-gw-ims-org-id': '' }, status: 400 },
  { name: 'jobs: no sandbox header', method: 'POST', path: JOBS, body: job(), auth: { 'x-sandbox-name': '' }, status: 400 },
  { name: 'jobs: another org', method: 'POST', path: JOBS, body: job(), auth: { 'x-gw-ims-org-id': ORG_B }, status: 403 },
  { name: 'jobs: a sandbox not granted', method: 'POST', path: JOBS, body: job(), auth: { 'x-sandbox-name': 'dev' }, status: 403 },
  { name: 'jobs: list without token', method: 'GET', path: JOBS, auth: 'none', status: 403 },

  // ---- export jobs: body
  { name: 'jobs: malformed JSON', method: 'POST', path: JOBS, type: 'application/json', body: '{"destination":', status: 400 },
  { name: 'jobs: text/plain', method: 'POST', path: JOBS, type: 'text/plain', body: json(job()), status: 415 },
  { name: 'jobs: no body', method: 'POST', path: JOBS, status: 415 },
  { name: 'jobs: JSON array', method: 'POST', path: JOBS, body: [job()], status: 400 },
  { name: 'jobs: JSON string', method: 'POST', path: JOBS, type: 'application/json', body: '"job"', status: 400 },
  { name: 'jobs: JSON null', method: 'POST', path: JOBS, type: 'application/json', body: 'null', status: 400 },
  { name: 'jobs: unknown property', method: 'POST', path: JOBS, body: job({ bogus: 1 }), status: 400, field: 'bogus' },
  { name: 'jobs: fields a number', method: 'POST', path: JOBS, body: job({ fields: 1 }), status: 400, field: 'fields' },
  { name: 'jobs: destination an array', method: 'POST', path: JOBS, body: job({ destination: [{ datasetId: '{dataset}' }] }), status: 400, field: 'destination' },
  { name: 'jobs: segments an object', method: 'POST', path: JOBS, body: job({ filter: { segments: { segmentId: 's' } } }), status: 400, field: 'filter.segments' },
  { name: 'jobs: segments empty', method: 'POST', path: JOBS, body: job({ filter: { segments: [] } }), status: 400, field: 'filter.segments' },
  {
    name: 'jobs: bad segment status',
    method: 'POST',
    path: JOBS,
    body: job({ filter: { segments: [{ segmentId: 's', status: ['gone'] }] } }),
    status: 400,
    field: 'filter.segments[0].status',
  },
  {
    name: 'jobs: timestamp without zone',
    method: 'POST',
    path: JOBS,
    body: job({ filter: { fromIngestTimestamp: '2018-01-01T00:00:00' } }),
    status: 400,
    field: 'filter.fromIngestTimestamp',
  },
  {
    name: 'jobs: endTime before startTime',
    method: 'POST',
    path: JOBS,
    body: job({ filter: { segmentQualificationTime: { startTime: '2019-01-01T00:00:00Z', endTime: '2018-01-01T00:00:00Z' } } }),
    status: 400,
  },
  { name: 'jobs: segmentation true', method: 'POST', path: JOBS, body: job({ evaluationInfo: { segmentation: true } }), status: 400 },
  { name: 'jobs: unknown dataset', method: 'POST', path: JOBS, body: job({ destination: { datasetId: UNKNOWN_DATASET } }), status: 400, field: 'destination.datasetId' },
  { name: 'jobs: unknown merge policy', method: 'POST', path: JOBS, body: job({ mergePolicy: { id: 'nope' } }), status: 400, field: 'mergePolicy.id' },
  { name: 'jobs: bad Idempotency-Key', method: 'POST', path: JOBS, body: job(), auth: { 'Idempotency-Key': 'a b' }, status: 400, field: 'Idempotency-Key' },
  { name: 'jobs: nested 100,000 deep', method: 'POST', path: JOBS, type: 'application/json', body: deepObject(100_000), status: 400, message: /nested deeper than 32 levels/ },
  { name: 'jobs: fields nested 100,000 deep', method: 'POST', path: JOBS, type: 'application/json', body: deepField('fields', 100_000), status: 400, message: /nested deeper/ },
  {
    name: 'jobs: nested 33 deep (one past the limit)',
    method: 'POST',
    path: JOBS,
    type: 'application/json',
    body: withRaw(job(), 'filter', deepObject(32)),
    status: 400,
    message: /nested deeper/,
  },
  { name: 'jobs: NUL in fields', method: 'POST', path: JOBS, body: job({ fields: `a${NUL}` }), status: 400, field: 'fields', message: /must not contain a NUL character/ },
  { name: 'jobs: NUL in destination.datasetId', method: 'POST', path: JOBS, body: job({ destination: { datasetId: `x${NUL}` } }), status: 400, field: 'destination.datasetId' },
  { name: 'jobs: NUL in mergePolicy.id', method: 'POST', path: JOBS, body: job({ mergePolicy: { id: `m${NUL}` } }), status: 400, field: 'mergePolicy.id' },
  {
    name: 'jobs: NUL in a segment id',
    method: 'POST',
    path: JOBS,
    body: job({ filter: { segments: [{ segmentId: `s${NUL}` }] } }),
    status: 400,
    field: 'filter.segments[0].segmentId',
  },
  {
    name: 'jobs: NUL in eventList fields',
    method: 'POST',
    path: JOBS,
    body: job({ additionalFields: { eventList: { fields: NUL } } }),
    status: 400,
    field: 'additionalFields.eventList.fields',
  },
  { name: 'jobs: NUL in a key', method: 'POST', path: JOBS, body: job({ [`fie${NUL}lds`]: 'a' }), status: 400, message: /NUL/ },
  { name: 'jobs: NUL in a nested key', method: 'POST', path: JOBS, body: job({ filter: { [NUL]: 1 } }), status: 400, message: /NUL/ },
  { name: 'jobs: lone surrogate in fields', method: 'POST', path: JOBS, body: job({ fields: 'a\udc00' }), status: 400, field: 'fields', message: /lone surrogate/ },
  {
    name: 'jobs: lone surrogate in a segment id',
    method: 'POST',
    path: JOBS,
    body: job({ filter: { segments: [{ segmentId: 's\ud800' }] } }),
    status: 400,
    field: 'filter.segments[0].segmentId',
  },
  { name: 'jobs: lone surrogate in a key', method: 'POST', path: JOBS, body: job({ 'x\ud800': 1 }), status: 400, field: 'x\\ud800' },
  {
    name: 'jobs: __proto__ key',
    method: 'POST',
    path: JOBS,
    type: 'application/json',
    body: withKey(job(), '__proto__', '{"fields":"x"}'),
    status: 400,
    field: '__proto__',
    message: /is not a known property/,
  },
  {
    name: 'jobs: __proto__ in filter',
    method: 'POST',
    path: JOBS,
    type: 'application/json',
    body: withRaw(job(), 'filter', '{"__proto__":{"emptyProfiles":true}}'),
    status: 400,
    field: 'filter.__proto__',
  },
  {
    name: 'jobs: __proto__ in a segment',
    method: 'POST',
    path: JOBS,
    type: 'application/json',
    body: withRaw(job(), 'filter', '{"segments":[{"segmentId":"s","__proto__":1}]}'),
    status: 400,
    field: 'filter.segments[0].__proto__',
  },
  { name: 'jobs: constructor key', method: 'POST', path: JOBS, body: job({ constructor: 1 }), status: 400, field: 'constructor', message: /is not a known property/ },
  {
    name: 'jobs: constructor in destination',
    method: 'POST',
    path: JOBS,
    body: job({ destination: { datasetId: '{dataset}', constructor: {} } }),
    status: 400,
    field: 'destination.constructor',
  },
  { name: 'jobs: hasOwnProperty key', method: 'POST', path: JOBS, body: job({ hasOwnProperty: 1 }), status: 400, field: 'hasOwnProperty' },
  { name: 'jobs: toString key', method: 'POST', path: JOBS, body: job({ toString: 'x' }), status: 400, field: 'toString' },
  { name: 'jobs: valueOf in schema', method: 'POST', path: JOBS, body: job({ schema: { name: '_xdm.context.profile', valueOf: 1 } }), status: 400, field: 'schema.valueOf' },
  { name: 'jobs: prototype key', method: 'POST', path: JOBS, body: job({ prototype: {} }), status: 400, field: 'prototype' },
  { name: 'jobs: body over BODY_LIMIT_BYTES', method: 'POST', path: JOBS, body: job({ fields: 'x'.repeat(1_100_000) }), status: 413 },
  { name: 'jobs: declared 100 MB body', method: 'POST', path: JOBS, raw: { contentLength: 100_000_000 }, status: 413 },

  // ---- export jobs: query and path
  { name: 'jobs: limit=-1', method: 'GET', path: `${JOBS}?limit=-1`, status: 400, field: 'limit' },
  { name: 'jobs: limit=abc', method: 'GET', path: `${JOBS}?limit=abc`, status: 400, field: 'limit' },
  { name: 'jobs: limit=1.5', method: 'GET', path: `${JOBS}?limit=1.5`, status: 400, field: 'limit' },
  { name: 'jobs: limit twice', method: 'GET', path: `${JOBS}?limit=1&limit=2`, status: 400, field: 'limit' },
  { name: 'jobs: status=bogus', method: 'GET', path: `${JOBS}?status=bogus`, status: 400, field: 'status' },
  { name: 'jobs: offset garbage', method: 'GET', path: `${JOBS}?offset=yesterday`, status: 400, field: 'offset' },
  { name: 'jobs: NUL in offset', method: 'GET', path: `${JOBS}?offset=1_1%00`, status: 400, field: 'offset', message: /NUL/ },
  { name: 'jobs: NUL in a query key', method: 'GET', path: `${JOBS}?li%00mit=1`, status: 400, message: /NUL/ },
  { name: 'jobs: lone surrogate in a query', method: 'GET', path: `${JOBS}?offset=%ED%A0%80`, status: 400, field: 'offset' },
  { name: 'jobs: unknown query key', method: 'GET', path: `${JOBS}?bogus=1`, status: 400, field: 'bogus' },
  { name: 'jobs: constructor query key', method: 'GET', path: `${JOBS}?constructor=1`, status: 400, field: 'constructor' },
  { name: 'jobs: __proto__ query key', method: 'GET', path: `${JOBS}?__proto__=1`, status: 400, field: '__proto__' },
  { name: 'jobs: toString query key', method: 'GET', path: `${JOBS}?toString=1`, status: 400, field: 'toString' },
  { name: 'jobs: id abc', method: 'GET', path: `${JOBS}/abc`, status: 400, field: 'id' },
  { name: 'jobs: id 0', method: 'GET', path: `${JOBS}/0`, status: 400, field: 'id' },
  { name: 'jobs: id beyond 32 bits', method: 'GET', path: `${JOBS}/99999999999`, status: 400, field: 'id' },
  { name: 'jobs: id 1e3', method: 'GET', path: `${JOBS}/1e3`, status: 400, field: 'id' },
  { name: 'jobs: id NUL', method: 'GET', path: `${JOBS}/1%00`, status: 400, field: 'id' },
  { name: 'jobs: id badly percent-encoded', method: 'GET', path: `${JOBS}/%E0%A4%A`, status: 400 },
  { name: 'jobs: unknown id', method: 'GET', path: `${JOBS}/999999`, status: 404 },
  { name: 'jobs: DELETE id abc', method: 'DELETE', path: `${JOBS}/abc`, status: 400, field: 'id' },
  { name: 'jobs: DELETE unknown id', method: 'DELETE', path: `${JOBS}/999999`, status: 404 },
  { name: 'jobs: PUT', method: 'PUT', path: `${JOBS}/1`, body: job(), status: 404 },

  // ---- Catalog
  { name: 'catalog: malformed JSON', method: 'POST', path: `${CATALOG}/dataSets`, type: 'application/json', body: '{"name":"x",}', status: 400 },
  { name: 'catalog: text/plain', method: 'POST', path: `${CATALOG}/dataSets`, type: 'text/plain', body: json(dataset()), status: 400 },
  { name: 'catalog: JSON array', method: 'POST', path: `${CATALOG}/dataSets`, body: [dataset()], status: 400 },
  { name: 'catalog: nested 100,000 deep', method: 'POST', path: `${CATALOG}/dataSets`, type: 'application/json', body: deepObject(100_000), status: 400, message: /nested deeper/ },
  { name: 'catalog: NUL in name', method: 'POST', path: `${CATALOG}/dataSets`, body: dataset({ name: `CRM${NUL}` }), status: 400, field: 'name' },
  {
    name: 'catalog: lone surrogate in name',
    method: 'POST',
    path: `${CATALOG}/dataSets`,
    body: dataset({ name: 'x\ud800y' }),
    status: 400,
    field: 'name',
    message: /lone surrogate/,
  },
  { name: 'catalog: NUL in description', method: 'POST', path: `${CATALOG}/dataSets`, body: dataset({ description: NUL }), status: 400, field: 'description' },
  {
    name: 'catalog: unknown schema',
    method: 'POST',
    path: `${CATALOG}/dataSets`,
    body: dataset({ schemaRef: { id: 'https://ns.adobe.com/other' } }),
    status: 400,
    field: 'schemaRef.id',
  },
  { name: 'catalog: name a number', method: 'POST', path: `${CATALOG}/dataSets`, body: dataset({ name: 5 }), status: 400, field: 'name' },
  { name: 'catalog: unknown property', method: 'POST', path: `${CATALOG}/dataSets`, body: dataset({ bogus: true }), status: 400, field: 'bogus' },
  {
    name: 'catalog: __proto__ key',
    method: 'POST',
    path: `${CATALOG}/dataSets`,
    type: 'application/json',
    body: withKey(dataset(), '__proto__', '{}'),
    status: 400,
    field: '__proto__',
  },
  {
    name: 'catalog: constructor in schemaRef',
    method: 'POST',
    path: `${CATALOG}/dataSets`,
    body: dataset({ schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile', constructor: 'x' } }),
    status: 400,
    field: 'schemaRef.constructor',
  },
  { name: 'catalog: declared 100 MB body', method: 'POST', path: `${CATALOG}/dataSets`, raw: { contentLength: 100_000_000 }, status: 413 },
  { name: 'catalog: limit=0', method: 'GET', path: `${CATALOG}/dataSets?limit=0`, status: 400, field: 'limit' },
  { name: 'catalog: limit=101', method: 'GET', path: `${CATALOG}/dataSets?limit=101`, status: 400, field: 'limit' },
  { name: 'catalog: start=-1', method: 'GET', path: `${CATALOG}/dataSets?start=-1`, status: 400, field: 'start' },
  { name: 'catalog: hasOwnProperty query key', method: 'GET', path: `${CATALOG}/dataSets?hasOwnProperty=1`, status: 400, field: 'hasOwnProperty' },
  { name: 'catalog: dataset id too short', method: 'GET', path: `${CATALOG}/dataSets/abc`, status: 400, field: 'id' },
  { name: 'catalog: dataset id NUL', method: 'GET', path: `${CATALOG}/dataSets/%00`, status: 400, field: 'id' },
  { name: 'catalog: unknown dataset', method: 'GET', path: `${CATALOG}/dataSets/${UNKNOWN_DATASET}`, status: 404 },
  { name: 'catalog: batches status=bogus', method: 'GET', path: `${CATALOG}/batches?status=bogus`, status: 400, field: 'status' },
  { name: 'catalog: batches dataSet=zz', method: 'GET', path: `${CATALOG}/batches?dataSet=zz`, status: 400, field: 'dataSet' },
  { name: 'catalog: batches NUL in dataSet', method: 'GET', path: `${CATALOG}/batches?dataSet=%00`, status: 400, field: 'dataSet' },
  { name: 'catalog: batch id too short', method: 'GET', path: `${CATALOG}/batches/abc`, status: 400, field: 'id' },
  { name: 'catalog: unknown batch', method: 'GET', path: `${CATALOG}/batches/${UNKNOWN_BATCH}`, status: 404 },
  { name: 'catalog: without token', method: 'GET', path: `${CATALOG}/dataSets`, auth: 'none', status: 403 },

  // ---- Batch ingestion
  { name: 'import: malformed JSON', method: 'POST', path: `${IMPORT}/batches`, type: 'application/json', body: '{datasetId: 1}', status: 400 },
  { name: 'import: nested 100,000 deep', method: 'POST', path: `${IMPORT}/batches`, type: 'application/json', body: deepObject(100_000), status: 400, message: /nested deeper/ },
  {
    name: 'import: inputFormat nested 100,000 deep',
    method: 'POST',
    path: `${IMPORT}/batches`,
    type: 'application/json',
    body: deepField('inputFormat', 100_000),
    status: 400,
    message: /nested deeper/,
  },
  { name: 'import: datasetId not an id', method: 'POST', path: `${IMPORT}/batches`, body: batch({ datasetId: 'x' }), status: 400, field: 'datasetId' },
  { name: 'import: NUL in datasetId', method: 'POST', path: `${IMPORT}/batches`, body: batch({ datasetId: NUL }), status: 400, field: 'datasetId' },
  { name: 'import: unknown dataset', method: 'POST', path: `${IMPORT}/batches`, body: batch({ datasetId: UNKNOWN_DATASET }), status: 400, field: 'datasetId' },
  { name: 'import: format parquet', method: 'POST', path: `${IMPORT}/batches`, body: batch({ inputFormat: { format: 'parquet' } }), status: 400, field: 'inputFormat.format' },
  { name: 'import: inputFormat an array', method: 'POST', path: `${IMPORT}/batches`, body: batch({ inputFormat: [{ format: 'json' }] }), status: 400, field: 'inputFormat' },
  {
    name: 'import: __proto__ in inputFormat',
    method: 'POST',
    path: `${IMPORT}/batches`,
    type: 'application/json',
    body: withRaw(batch(), 'inputFormat', '{"format":"json","__proto__":{"x":1}}'),
    status: 400,
    field: 'inputFormat.__proto__',
  },
  { name: 'import: hasOwnProperty key', method: 'POST', path: `${IMPORT}/batches`, body: batch({ hasOwnProperty: 'x' }), status: 400, field: 'hasOwnProperty' },
  {
    name: 'import: file name ../../etc/passwd',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/..%2F..%2Fetc%2Fpasswd`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'fileName',
  },
  {
    name: 'import: file name ..',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/..`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'fileName',
  },
  {
    name: 'import: hidden file name',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/.env`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'fileName',
  },
  {
    name: 'import: backslash in file name',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/..%5Cx.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'fileName',
  },
  {
    name: 'import: NUL in file name',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/a%00.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'fileName',
  },
  {
    name: 'import: upload, bad batch id',
    method: 'PUT',
    path: `${IMPORT}/batches/xyz/datasets/{dataset}/files/a.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'batchId',
  },
  {
    name: 'import: upload, bad dataset id',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/xyz/files/a.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 400,
    field: 'datasetId',
  },
  {
    name: 'import: upload, unknown batch',
    method: 'PUT',
    path: `${IMPORT}/batches/${UNKNOWN_BATCH}/datasets/{dataset}/files/a.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 404,
  },
  {
    name: 'import: upload, wrong dataset',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/${UNKNOWN_DATASET}/files/a.json`,
    type: 'application/octet-stream',
    body: '{}',
    status: 404,
  },
  {
    name: 'import: upload without token',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/a.json`,
    type: 'application/octet-stream',
    body: '{}',
    auth: 'none',
    status: 403,
  },
  {
    name: 'import: upload declared over MAX_UPLOAD_BYTES',
    method: 'PUT',
    path: `${IMPORT}/batches/{batch}/datasets/{dataset}/files/big.json`,
    raw: { contentLength: UPLOAD_LIMIT + 1, type: 'application/octet-stream' },
    status: 413,
  },
  { name: 'import: action=bogus', method: 'POST', path: `${IMPORT}/batches/{batch}?action=bogus`, status: 400, field: 'action' },
  { name: 'import: no action', method: 'POST', path: `${IMPORT}/batches/{batch}`, status: 400, field: 'action' },
  { name: 'import: NUL in action', method: 'POST', path: `${IMPORT}/batches/{batch}?action=COMPLETE%00`, status: 400, field: 'action' },
  { name: 'import: action given twice', method: 'POST', path: `${IMPORT}/batches/{batch}?action=COMPLETE&action=ABORT`, status: 400, field: 'action' },
  { name: 'import: action on a bad batch id', method: 'POST', path: `${IMPORT}/batches/nope?action=COMPLETE`, status: 400, field: 'batchId' },
  { name: 'import: action on an unknown batch', method: 'POST', path: `${IMPORT}/batches/${UNKNOWN_BATCH}?action=COMPLETE`, status: 404 },

  // ---- Data Access
  { name: 'data access: bad batch id', method: 'GET', path: `${DATA_ACCESS}/batches/nope/files`, status: 400, field: 'batchId' },
  { name: 'data access: unknown batch', method: 'GET', path: `${DATA_ACCESS}/batches/${UNKNOWN_BATCH}/files`, status: 404 },
  { name: 'data access: bad file id', method: 'GET', path: `${DATA_ACCESS}/files/nope`, status: 400, field: 'fileId' },
  { name: 'data access: NUL file id', method: 'GET', path: `${DATA_ACCESS}/files/%00`, status: 400, field: 'fileId' },
  { name: 'data access: unknown file', method: 'GET', path: `${DATA_ACCESS}/files/${UNKNOWN_FILE}`, status: 404 },
  { name: 'data access: path traversal', method: 'GET', path: `${DATA_ACCESS}/files/${UNKNOWN_FILE}?path=..%2F..%2Fetc%2Fpasswd`, status: 404 },
  { name: 'data access: NUL in path', method: 'GET', path: `${DATA_ACCESS}/files/${UNKNOWN_FILE}?path=a%00`, status: 400, field: 'path' },
  { name: 'data access: without token', method: 'GET', path: `${DATA_ACCESS}/files/${UNKNOWN_FILE}`, auth: 'none', status: 403 },

  // ---- Merge policies
  { name: 'policies: malformed JSON', method: 'POST', path: POLICIES, type: 'application/json', body: '{"name":"P"', status: 400 },
  { name: 'policies: text/plain', method: 'POST', path: POLICIES, type: 'text/plain', body: json(policy()), status: 415 },
  { name: 'policies: JSON array', method: 'POST', path: POLICIES, body: [policy()], status: 400 },
  { name: 'policies: nested 100,000 deep', method: 'POST', path: POLICIES, type: 'application/json', body: deepObject(100_000), status: 400, message: /nested deeper/ },
  {
    name: 'policies: order nested 100,000 deep',
    method: 'POST',
    path: POLICIES,
    type: 'application/json',
    body: withRaw(policy(), 'attributeMerge', deepField('order', 100_000)),
    status: 400,
    message: /nested deeper/,
  },
  { name: 'policies: NUL in name', method: 'POST', path: POLICIES, body: policy({ name: `P${NUL}` }), status: 400, field: 'name' },
  { name: 'policies: lone surrogate in name', method: 'POST', path: POLICIES, body: policy({ name: 'p\ud800' }), status: 400, field: 'name' },
  { name: 'policies: id of a surrogate in CESU-8 (not UTF-8)', method: 'GET', path: `${POLICIES}/%ED%A0%80`, status: 400 },
  {
    name: 'policies: NUL in order',
    method: 'POST',
    path: POLICIES,
    body: policy({ attributeMerge: { type: 'dataSetPrecedence', order: [`d${NUL}`] } }),
    status: 400,
    field: 'attributeMerge.order[0]',
  },
  {
    name: 'policies: order for timestampOrdered not a list',
    method: 'POST',
    path: POLICIES,
    body: policy({ attributeMerge: { type: 'timestampOrdered', order: 'd' } }),
    status: 400,
    field: 'attributeMerge.order',
  },
  { name: 'policies: bogus identity graph', method: 'POST', path: POLICIES, body: policy({ identityGraph: { type: 'magic' } }), status: 400, field: 'identityGraph.type' },
  { name: 'policies: default a string', method: 'POST', path: POLICIES, body: policy({ default: 'yes' }), status: 400, field: 'default' },
  {
    name: 'policies: __proto__ in attributeMerge',
    method: 'POST',
    path: POLICIES,
    type: 'application/json',
    body: withRaw(policy(), 'attributeMerge', '{"type":"timestampOrdered","__proto__":{"order":["d"]}}'),
    status: 400,
    field: 'attributeMerge.__proto__',
  },
  {
    name: 'policies: constructor in identityGraph',
    method: 'POST',
    path: POLICIES,
    body: policy({ identityGraph: { type: 'none', constructor: 1 } }),
    status: 400,
    field: 'identityGraph.constructor',
  },
  { name: 'policies: toString key', method: 'POST', path: POLICIES, body: policy({ toString: 1 }), status: 400, field: 'toString' },
  { name: 'policies: GET id with NUL', method: 'GET', path: `${POLICIES}/a%00b`, status: 400, field: 'id', message: /NUL/ },
  { name: 'policies: DELETE id with NUL', method: 'DELETE', path: `${POLICIES}/a%00b`, status: 400, field: 'id' },
  { name: 'policies: id badly percent-encoded', method: 'GET', path: `${POLICIES}/%zz`, status: 400 },
  { name: 'policies: unknown id', method: 'GET', path: `${POLICIES}/nope`, status: 404 },
  { name: 'policies: DELETE the built-in', method: 'DELETE', path: `${POLICIES}/timestampOrdered-none-mp`, status: 409 },
  { name: 'policies: limit=abc', method: 'GET', path: `${POLICIES}?limit=abc`, status: 400, field: 'limit' },
  { name: 'policies: start=-5', method: 'GET', path: `${POLICIES}?start=-5`, status: 400, field: 'start' },
  { name: 'policies: without token', method: 'GET', path: POLICIES, auth: 'none', status: 403 },

  // ---- Segment definitions
  { name: 'segments: malformed JSON', method: 'POST', path: SEGMENTS, type: 'application/json', body: '{"name":"S",,}', status: 400 },
  { name: 'segments: text/plain', method: 'POST', path: SEGMENTS, type: 'text/plain', body: json(segment()), status: 415 },
  { name: 'segments: nested 100,000 deep', method: 'POST', path: SEGMENTS, type: 'application/json', body: deepObject(100_000), status: 400, message: /nested deeper/ },
  {
    name: 'segments: expression nested 100,000 deep',
    method: 'POST',
    path: SEGMENTS,
    type: 'application/json',
    body: withRaw(segment(), 'expression', deepObject(100_000, 'value')),
    status: 400,
    message: /nested deeper/,
  },
  { name: 'segments: NUL in name', method: 'POST', path: SEGMENTS, body: segment({ name: `S${NUL}` }), status: 400, field: 'name' },
  { name: 'segments: lone surrogate in name', method: 'POST', path: SEGMENTS, body: segment({ name: '\udfff' }), status: 400, field: 'name' },
  { name: 'segments: NUL in mergePolicyId', method: 'POST', path: SEGMENTS, body: segment({ mergePolicyId: `m${NUL}` }), status: 400, field: 'mergePolicyId' },
  {
    name: 'segments: NUL in expression',
    method: 'POST',
    path: SEGMENTS,
    body: segment({ expression: { type: 'PQL', format: 'pql/text', value: `a${NUL}` } }),
    status: 400,
    field: 'expression.value',
  },
  {
    name: 'segments: pql/json that is no PQL tree',
    method: 'POST',
    path: SEGMENTS,
    body: segment({ expression: { type: 'PQL', format: 'pql/json', value: '{}' } }),
    status: 400,
    field: 'expression.value',
  },
  { name: 'segments: id not a uuid', method: 'POST', path: SEGMENTS, body: segment({ id: 'seg-1' }), status: 400, field: 'id' },
  { name: 'segments: expression an array', method: 'POST', path: SEGMENTS, body: segment({ expression: [] }), status: 400, field: 'expression' },
  { name: 'segments: unknown merge policy', method: 'POST', path: SEGMENTS, body: segment({ mergePolicyId: 'nope' }), status: 400, field: 'mergePolicyId' },
  {
    name: 'segments: __proto__ in expression',
    method: 'POST',
    path: SEGMENTS,
    type: 'application/json',
    body: withRaw(segment(), 'expression', '{"type":"PQL","format":"pql/text","value":"a","__proto__":{}}'),
    status: 400,
    field: 'expression.__proto__',
  },
  { name: 'segments: constructor key', method: 'POST', path: SEGMENTS, body: segment({ constructor: 'S' }), status: 400, field: 'constructor' },
  {
    name: 'segments: isPrototypeOf in schema',
    method: 'POST',
    path: SEGMENTS,
    body: segment({ schema: { name: '_xdm.context.profile', isPrototypeOf: 1 } }),
    status: 400,
    field: 'schema.isPrototypeOf',
  },
  { name: 'segments: GET id not a uuid', method: 'GET', path: `${SEGMENTS}/seg-1`, status: 400, field: 'id' },
  { name: 'segments: GET id with NUL', method: 'GET', path: `${SEGMENTS}/%00`, status: 400, field: 'id' },
  { name: 'segments: DELETE id not a uuid', method: 'DELETE', path: `${SEGMENTS}/1`, status: 400, field: 'id' },
  { name: 'segments: unknown id', method: 'GET', path: `${SEGMENTS}/${UNKNOWN_UUID}`, status: 404 },
  { name: 'segments: page=-1', method: 'GET', path: `${SEGMENTS}?page=-1`, status: 400, field: 'page' },
  { name: 'segments: limit=0', method: 'GET', path: `${SEGMENTS}?limit=0`, status: 400, field: 'limit' },
  { name: 'segments: declared 100 MB body', method: 'POST', path: SEGMENTS, raw: { contentLength: 100_000_000 }, status: 413 },

  // ---- Bull Board and the rest
  { name: 'admin: no credentials', method: 'GET', path: '/admin/queues', auth: 'none', status: 401 },
  { name: 'admin: wrong password', method: 'GET', path: '/admin/queues', auth: { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }, status: 401 },
  { name: 'admin: a bearer token', method: 'GET', path: '/admin/queues/api/queues', status: 401 },
  {
    name: 'admin: NUL in the password',
    method: 'GET',
    path: '/admin/queues',
    auth: { Authorization: `Basic ${Buffer.from(`admin:admin${NUL}`).toString('base64')}` },
    status: 401,
  },
  { name: 'unknown route', method: 'GET', path: '/data/core/ups/nothing-here', status: 404 },
  { name: 'unknown route with a deep body', method: 'POST', path: '/nothing-here', type: 'application/json', body: deepObject(100_000), status: 400 },
];

const isProblem = (body: Record<string, unknown>, status: number) =>
  typeof body.type === 'string' && body.status === status && typeof body.title === 'string' && typeof body.detail === 'string' && typeof body.requestId === 'string';
const isGatewayError = (body: Record<string, unknown>) => typeof body.error_code === 'string' && typeof body.message === 'string';
const isOAuthError = (body: Record<string, unknown>) => typeof body.error === 'string' && typeof body.error_description === 'string';

describe('bad requests over every endpoint (issue #9)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let port: number;
  let batchId: string;
  let countsBefore: Record<string, number>;
  const outcomes: number[] = [];

  const TABLES = ['export_jobs', 'datasets', 'batches', 'batch_files', 'merge_policies', 'segment_definitions'];
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) out[table] = (await env.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
    return out;
  };

  beforeAll(async () => {
    env = await createTestEnv('bad_requests');
    api = await ApiHarness.start(env.config({ MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) }));
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    client = await api.client(ORG_A, ['prod']);
    const created = await api.http
      .post(`${IMPORT}/batches`)
      .set(client.headers())
      .send({ datasetId: client.datasets.prod, inputFormat: { format: 'json' } })
      .expect(201);
    batchId = created.body.id;
    countsBefore = await counts();
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const fill = (text: string) => text.replace(/\{dataset\}/g, client.datasets.prod).replace(/\{batch\}/g, batchId);
  const headersOf = (auth: Auth | undefined): Record<string, string> => {
    if (auth === 'none') return {};
    if (auth === 'admin') return { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
    return { ...client.headers(), ...(typeof auth === 'object' ? auth : {}) };
  };

  async function send(entry: BadRequest): Promise<{ status: number; body: Record<string, unknown> }> {
    const path = fill(entry.path);
    const headers = headersOf(entry.auth);
    if (entry.raw) {
      const head = [
        `${entry.method} ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Content-Type: ${entry.raw.type ?? 'application/json'}`,
        `Content-Length: ${entry.raw.contentLength}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      const res = await rawHttp(port, `${head.join('\r\n')}\r\n\r\n{"a":`);
      return { status: res.status, body: res.body ? JSON.parse(res.body) : {} };
    }
    let req = api.http[entry.method.toLowerCase() as 'get'](path).set(headers);
    if (typeof entry.body === 'string') req = req.set('Content-Type', entry.type ?? 'application/json').send(fill(entry.body));
    else if (entry.body !== undefined) req = req.send(JSON.parse(fill(json(entry.body))));
    const res = await req;
    return { status: res.status, body: (res.body ?? {}) as Record<string, unknown> };
  }

  it(`has at least 100 bad requests, each named once`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map((e) => e.name)).size).toBe(corpus.length);
  });

  it.each(corpus)('$name → $status', async (entry) => {
    const { status, body } = await send(entry);
    outcomes.push(status);
    expect({ status, body }).toMatchObject({ status: entry.status });
    expect(isProblem(body, status) || isGatewayError(body) || isOAuthError(body)).toBe(true);
    if (entry.field) expect((body.errors as Array<{ path: string }>).map((e) => e.path)).toContain(entry.field);
    if (entry.message) expect(JSON.stringify(body)).toMatch(entry.message);
  });

  it('created nothing: every table holds what it held before the corpus', async () => {
    expect(await counts()).toEqual(countsBefore);
    const fiveXx = outcomes.filter((s) => s >= 500).length;
    const accepted = outcomes.filter((s) => s < 400).length;
    console.log(`bad-requests: ${outcomes.length} sent, ${fiveXx} 5xx, ${accepted} accepted`);
    expect(outcomes).toHaveLength(corpus.length);
    expect([fiveXx, accepted]).toEqual([0, 0]);
  });

  describe('a declared Content-Length over the limit is a 413 at once, and the connection is closed', () => {
    it.each([
      ['a JSON route', 'POST', JOBS, 'application/json', 100_000_000],
      ['the token form', 'POST', TOKEN, 'application/x-www-form-urlencoded', 100_000_000],
      ['a batch file upload', 'PUT', `${IMPORT}/batches/{batch}/datasets/{dataset}/files/big.json`, 'application/octet-stream', UPLOAD_LIMIT + 1],
    ])('%s', async (_, method, path, type, length) => {
      const head = [
        `${method} ${fill(path)} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Content-Type: ${type}`,
        `Content-Length: ${length}`,
        ...Object.entries(client.headers()).map(([k, v]) => `${k}: ${v}`),
      ];
      const res = await rawHttp(port, `${head.join('\r\n')}\r\n\r\n{"a":`, 1000);
      expect(res.status).toBe(413);
      expect(res.firstByteMs).toBeLessThan(1000);
      expect(res.closedByServer).toBe(true);
      expect(JSON.parse(res.body)).toMatchObject({ status: 413, detail: expect.stringMatching(/larger than the limit/) });
    });

    it('a declared length within the limit still waits for its body (the check is on the number only)', async () => {
      const head = [
        `POST ${JOBS} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Content-Length: 1000',
        ...Object.entries(client.headers()).map(([k, v]) => `${k}: ${v}`),
      ];
      const res = await rawHttp(port, `${head.join('\r\n')}\r\n\r\n{"a":`, 300);
      expect(res.status).toBe(0);
    });
  });

  describe('what the checks let through', () => {
    it('a body nested exactly BODY_MAX_DEPTH deep reaches validation', async () => {
      // The body is level 1; the filter value adds 31 more: 32 in all.
      const res = await api.http
        .post(JOBS)
        .set(client.headers())
        .set('Content-Type', 'application/json')
        .send(withRaw(job(), 'filter', deepObject(31)));
      expect(res.status).toBe(400);
      expect(res.body.errors).toContainEqual({ path: 'filter.a', message: 'is not a known property' });
    });

    it('strings with other control characters and astral characters are accepted', async () => {
      const res = await api.http
        .post(`${CATALOG}/dataSets`)
        .set(client.headers())
        .send(dataset({ name: 'tab\there \u0001 😀', description: 'constructor __proto__ as text' }));
      expect(res.status).toBe(201);
      await env.db.query('DELETE FROM datasets WHERE name = $1', ['tab\there \u0001 😀']);
    });
  });
});
