import type { Test } from 'supertest';
import type TestAgent from 'supertest/lib/agent';

/**
 * The requests of AEP's Python client aepp (github.com/pitchmuc/aepp), reproduced byte for byte
 * where it matters: its default header (`aepp/config.py`), bodies serialised by `json.dumps` with
 * its default separators, query values as `requests` writes Python values (`True`/`False`), and
 * body-less POSTs that still carry `Content-Type: application/json`. Each method is named after the
 * aepp method it mirrors and returns the request, so a test asserts what the service answers.
 */

export const ENDPOINTS = {
  catalog: '/data/foundation/catalog',
  ingestion: '/data/foundation/import',
  dataaccess: '/data/foundation/export',
  segmentation: '/data/core/ups',
} as const;

/** The content type aepp puts in every schemaRef it builds. */
export const XED_CONTENT_TYPE = 'application/vnd.adobe.xed+json;version=1';
export const PROFILE_SCHEMA = 'https://ns.adobe.com/xdm/context/profile';
export const UNION_SCHEMA = 'https://ns.adobe.com/xdm/context/profile__union';

/** Python's `json.dumps(v)`: `", "` and `": "` separators, non-ASCII escaped (ensure_ascii). */
export function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyDumps(k)}: ${pyDumps(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Params = Record<string, string | number | boolean>;
/** A query string as `requests` encodes a params dict (Python's str() of each value). */
function pyQuery(params?: Params): string {
  if (!params || !Object.keys(params).length) return '';
  const text = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  return `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, text(v)])).toString()}`;
}

/** The token request of aepp's OAuth server-to-server connection (`connector.py`, oauthV2). */
export function aeppToken(http: TestAgent, clientId: string, secret: string): Test {
  return http.post('/ims/token/v3').type('form').send({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret,
    scope: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session',
  });
}

export class Aepp {
  readonly header: Record<string, string>;

  constructor(
    private readonly http: TestAgent,
    token: string,
    clientId: string,
    orgId: string,
    sandbox: string,
  ) {
    this.header = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      'x-api-key': clientId,
      'x-gw-ims-org-id': orgId,
      'x-sandbox-name': sandbox,
    };
  }

  private with(headers: Record<string, string>) {
    return { ...this.header, ...headers };
  }
  getData(path: string, params?: Params, headers: Record<string, string> = {}): Test {
    return this.http.get(path + pyQuery(params)).set(this.with(headers));
  }
  headData(path: string, params?: Params): Test {
    return this.http.head(path + pyQuery(params)).set(this.header);
  }
  /** `postData`: `data=json.dumps(body)` when there is a body, else an empty POST (Content-Length 0). */
  postData(path: string, params?: Params, data?: unknown): Test {
    const req = this.http.post(path + pyQuery(params)).set(this.header);
    return data === undefined ? req.set('Content-Length', '0') : req.send(pyDumps(data));
  }
  patchData(path: string, data: unknown, headers: Record<string, string> = {}): Test {
    return this.http.patch(path).set(this.with(headers)).send(pyDumps(data));
  }
  putData(path: string, data: unknown, headers: Record<string, string> = {}): Test {
    return this.http.put(path).set(this.with(headers)).send(pyDumps(data));
  }

  // Catalog (aepp/catalog.py)
  createDataSet(name: string, schemaId: string, profileEnabled = false, identityEnabled = false): Test {
    const tags: Record<string, string[]> = {};
    if (profileEnabled) tags.unifiedProfile = ['enabled:true'];
    if (identityEnabled) tags.unifiedIdentity = ['enabled:true'];
    const data = { name, schemaRef: { id: schemaId, contentType: XED_CONTENT_TYPE }, fileDescription: { persisted: true, containerFormat: 'parquet', format: 'parquet' }, tags };
    return this.postData(`${ENDPOINTS.catalog}/dataSets`, { requestDataSource: false }, data);
  }
  createUnionProfileDataset(): Test {
    return this.postData(`${ENDPOINTS.catalog}/dataSets/`, undefined, { name: 'Profile Data Export', schemaRef: { id: UNION_SCHEMA, contentType: XED_CONTENT_TYPE } });
  }
  /** enableDatasetProfile: an RFC 6902 patch sent as application/json-patch+json. */
  enableDatasetProfile(id: string, upsert = false): Test {
    const value = upsert ? ['enabled:true', 'isUpsert:true'] : ['enabled:true'];
    return this.patchData(`${ENDPOINTS.catalog}/dataSets/${id}`, [{ op: 'add', path: '/tags/unifiedProfile', value }], { 'Content-Type': 'application/json-patch+json' });
  }
  getDataSet(id: string): Test {
    return this.getData(`${ENDPOINTS.catalog}/dataSets/${id}`);
  }
  getBatch(id: string): Test {
    return this.getData(`${ENDPOINTS.catalog}/batches/${id}`);
  }
  getBatches(kwargs: Params = {}, limit = 10): Test {
    return this.getData(`${ENDPOINTS.catalog}/batches`, { limit: Math.min(limit, 100), ...kwargs });
  }

  // Batch ingestion (aepp/ingestion.py)
  createBatch(datasetId: string, multiline = false, tags?: Record<string, string[]>): Test {
    return this.postData(`${ENDPOINTS.ingestion}/batches`, undefined, { datasetId, inputFormat: { format: 'json', isMultiLineJson: multiline }, ...(tags ? { tags } : {}) });
  }
  private file(batchId: string, datasetId: string, filePath: string) {
    return `${ENDPOINTS.ingestion}/batches/${batchId}/datasets/${datasetId}/files/${filePath}`;
  }
  /** uploadSmallFile: the data (a list or a dict) `json.dumps`ed, sent as octet-stream. */
  uploadSmallFile(batchId: string, datasetId: string, filePath: string, data: unknown): Test {
    return this.putData(this.file(batchId, datasetId, filePath), data, { 'Content-Type': 'application/octet-stream' });
  }
  uploadLargeFileStartEnd(batchId: string, datasetId: string, filePath: string, action: 'INITIALIZE' | 'COMPLETE'): Test {
    return this.postData(this.file(batchId, datasetId, filePath), { action });
  }
  uploadLargeFilePart(batchId: string, datasetId: string, filePath: string, data: Buffer, contentRange: string): Test {
    return this.http
      .patch(this.file(batchId, datasetId, filePath))
      .set(this.with({ 'Content-Type': 'application/octet-stream', 'Content-Range': contentRange }))
      .send(data);
  }
  headFileStatus(batchId: string, datasetId: string, filePath: string): Test {
    return this.headData(this.file(batchId, datasetId, filePath));
  }
  uploadSmallFileFinish(batchId: string, action = 'COMPLETE'): Test {
    return this.postData(`${ENDPOINTS.ingestion}/batches/${batchId}`, { action });
  }

  // Segmentation (aepp/segmentation.py)
  createSegment(data: Record<string, unknown>): Test {
    return this.postData(`${ENDPOINTS.segmentation}/segment/definitions`, undefined, data);
  }
  /**
   * getSegments: its first request has no query; its retries and further pages send
   * `{page, limit, evaluationInfo.continuous.enabled: True}` (the last with onlyRealTime).
   */
  getSegments(params?: Params): Test {
    return this.getData(`${ENDPOINTS.segmentation}/segment/definitions`, params);
  }
  /** getJobs: `snapshot.name` and `status` are None by default, and requests drops None. */
  getJobs(limit = 100): Test {
    return this.getData(`${ENDPOINTS.segmentation}/segment/jobs`, { limit, start: 0 });
  }
  getExportJobs(limit = 1000, status?: string): Test {
    return this.getData(`${ENDPOINTS.segmentation}/export/jobs`, { limit, ...(status ? { status } : {}) });
  }
  createJob(segmentIds: string[]): Test {
    return this.postData(
      `${ENDPOINTS.segmentation}/segment/jobs`,
      undefined,
      segmentIds.map((segmentId) => ({ segmentId })),
    );
  }
  getJob(id: string): Test {
    return this.getData(`${ENDPOINTS.segmentation}/segment/jobs/${id}`);
  }
  createExport(request: Record<string, unknown>): Test {
    return this.postData(`${ENDPOINTS.segmentation}/export/jobs`, undefined, request);
  }
  getExport(id: number | string): Test {
    return this.getData(`${ENDPOINTS.segmentation}/export/jobs/${id}`);
  }

  // Data Access (aepp/dataaccess.py)
  getBatchFiles(batchId: string): Test {
    return this.getData(`${ENDPOINTS.dataaccess}/batches/${batchId}/files`, {});
  }
  /** getFiles: the listing without a path; with one, the bytes (`format='raw'`, aepp's JSON Accept header kept). */
  getFiles(dataSetFileId: string, path?: string, headers: Record<string, string> = {}): Test {
    return this.getData(`${ENDPOINTS.dataaccess}/files/${dataSetFileId}`, path === undefined ? {} : { path }, headers);
  }
  getHeadFile(dataSetFileId: string, path: string): Test {
    return this.headData(`${ENDPOINTS.dataaccess}/files/${dataSetFileId}`, { path });
  }

  // Merge policies (aepp/customerprofile.py)
  getMergePolicies(limit = 100): Test {
    return this.getData(`${ENDPOINTS.segmentation}/config/mergePolicies`, { limit });
  }
  getMergePolicy(id: string): Test {
    return this.getData(`${ENDPOINTS.segmentation}/config/mergePolicies/${id}`);
  }
  createMergePolicy(policy: Record<string, unknown>): Test {
    return this.postData(`${ENDPOINTS.segmentation}/config/mergePolicies`, undefined, policy);
  }
  patchMergePolicy(id: string, operations: Array<Record<string, unknown>>): Test {
    return this.patchData(`${ENDPOINTS.segmentation}/config/mergePolicies/${id}`, operations);
  }
  updateMergePolicy(id: string, policy: Record<string, unknown>): Test {
    return this.putData(`${ENDPOINTS.segmentation}/config/mergePolicies/${id}`, policy);
  }
}
