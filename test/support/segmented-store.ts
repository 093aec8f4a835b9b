import type { ApiHarness, TestClient } from './api-harness';
import { eventually } from './child-process';
import { ProfileStoreClient } from './profile-store';

export const JOBS = '/data/core/ups/export/jobs';
export const SEG_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
export const SEG_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
export const SEG_C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
/** SEG_C is in another segment namespace: counted as `aam:<id>`. */
export const NS_C = 'aam';

const at = '2025-01-01T00:00:00Z';

/**
 * `count` profiles with memberships known by construction (issue 15's specs): i even is in A;
 * i % 3 == 0 in B (i % 3 == 1 exited B); i % 5 == 0 in aam:C. One in three has an ECID primary
 * identity (the others Email); one in four has a second, newer fragment, so that some profiles
 * are merged and others written from their stored bytes.
 */
export function segmentedProfiles(count: number): { crm: Array<Record<string, unknown>>; web: Array<Record<string, unknown>> } {
  const crm: Array<Record<string, unknown>> = [];
  const web: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const ups: Record<string, unknown> = {};
    if (i % 2 === 0) ups[SEG_A] = { status: 'realized', lastQualificationTime: at };
    if (i % 3 === 0) ups[SEG_B] = { status: 'realized', lastQualificationTime: at };
    if (i % 3 === 1) ups[SEG_B] = { status: 'exited', lastQualificationTime: at };
    const segmentMembership: Record<string, unknown> = { ups };
    if (i % 5 === 0) segmentMembership[NS_C] = { [SEG_C]: { status: 'realized', lastQualificationTime: at } };
    const identityMap =
      i % 3 === 0 ? { ECID: [{ id: `e-${String(i).padStart(3, '0')}`, primary: true }] } : { Email: [{ id: `p${String(i).padStart(3, '0')}@x.io`, primary: true }] };
    crm.push({ identityMap, person: { name: { firstName: `P${i}` } }, loyalty: { points: i * 7 }, segmentMembership });
    if (i % 4 === 0) web.push({ identityMap, homeAddress: { city: `City ${i}` } });
  }
  return { crm, web };
}

/** What a job filtering on A, B (realized) and aam:C exports of segmentedProfiles(count), by construction. */
export function expectedCounts(count: number): { profiles: number; byNamespace: Record<string, number>; bySegment: Record<string, number> } {
  const byNamespace: Record<string, number> = {};
  const bySegment: Record<string, number> = { [SEG_A]: 0, [SEG_B]: 0, [`${NS_C}:${SEG_C}`]: 0 };
  let profiles = 0;
  for (let i = 0; i < count; i++) {
    const a = i % 2 === 0;
    const b = i % 3 === 0;
    const c = i % 5 === 0;
    if (a) bySegment[SEG_A]++;
    if (b) bySegment[SEG_B]++;
    if (c) bySegment[`${NS_C}:${SEG_C}`]++;
    if (!a && !b && !c) continue;
    profiles++;
    const ns = i % 3 === 0 ? 'ECID' : 'Email';
    byNamespace[ns] = (byNamespace[ns] ?? 0) + 1;
  }
  return { profiles, byNamespace, bySegment };
}

export const SEGMENT_FILTER = {
  segments: [
    { segmentId: SEG_A, status: ['realized'] },
    { segmentId: SEG_B, segmentNs: 'ups', status: ['realized'] },
    { segmentId: SEG_C, segmentNs: NS_C, status: ['realized'] },
  ],
};

/** Loads segmentedProfiles(count) into two profile datasets of the client's prod sandbox. */
/** A job body over the segmented store: SEGMENT_FILTER into `datasetId` as JSON Lines, with `destination` and `extra` laid over. */
export function segmentedJobBody(datasetId: string, destination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schema: { name: '_xdm.context.profile' }, filter: SEGMENT_FILTER, destination: { datasetId, outputFormat: 'jsonl', ...destination }, ...extra };
}

export async function loadSegmentedStore(api: ApiHarness, client: TestClient, count: number): Promise<void> {
  const store = new ProfileStoreClient(api, client);
  const { crm, web } = segmentedProfiles(count);
  await store.ingest(await store.createDataset('crm'), crm);
  await store.ingest(await store.createDataset('web'), web);
}

/** POSTs a job (extra query text such as `?dryRun=true`), answered body. */
export async function createJob(api: ApiHarness, client: TestClient, body: Record<string, unknown>, query = ''): Promise<any> {
  return (await api.http.post(`${JOBS}${query}`).set(client.headers()).send(body).expect(200)).body;
}

/** Waits for the job's end; the ended job. */
export async function endedJob(api: ApiHarness, client: TestClient, id: number, timeoutMs = 60_000): Promise<any> {
  let job: any;
  await eventually(
    async () => {
      job = (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
    },
    timeoutMs,
    50,
  );
  return job;
}

/** The batches a SUCCEEDED job wrote, in the job's order. */
export const batchIdsOfJob = (job: any): string[] => (job.destination.batches?.length ? job.destination.batches.map((b: any) => b.batchId) : [job.destination.batchId]);
