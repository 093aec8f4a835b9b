import { SEGMENT_JOB_MAX_SEGMENTS, type SegmentJob } from '@sx/domain';

/**
 * A segment job as AEP shows it (AEP-API-NOTES section 1). Up to 1500 segments each appears with
 * its definition as the job evaluates it (the snapshot taken at POST); above, `[{segmentId: "*"}]`.
 */
export function presentSegmentJob(job: SegmentJob, basePath: string): Record<string, unknown> {
  const creationTime = job.creationTime.getTime();
  const updateTime = job.updateTime.getTime();
  const expanded = job.definitions.length <= SEGMENT_JOB_MAX_SEGMENTS;
  const segments = expanded
    ? job.definitions.map((d) => ({
        segmentId: d.id,
        segment: { id: d.id, version: d.version, expression: d.expression, mergePolicyId: d.mergePolicyId, mergePolicy: { id: d.mergePolicyId, version: 1 } },
      }))
    : [{ segmentId: '*' }];
  const href = `${basePath}/segment/jobs/${job.id}`;
  const metrics: Record<string, unknown> = { ...(job.metrics ?? { totalTime: { startTimeInMs: creationTime }, profileSegmentationTime: {} }) };
  const body: Record<string, unknown> = {
    id: job.id,
    imsOrgId: job.orgId,
    sandbox: { sandboxName: job.sandboxName },
    profileInstanceId: 'ups',
    source: job.properties ? 'scheduler' : 'api',
    status: job.status,
    segments,
    metrics,
    requestId: job.requestId,
    schema: { name: job.schemaName },
    ...(job.properties ? { properties: { scheduleId: job.properties.scheduleId, runId: job.properties.runId } } : {}),
    _links: { cancel: { href, method: 'DELETE' }, checkStatus: { href, method: 'GET' } },
    updateTime,
    creationTime,
    updateEpoch: Math.floor(updateTime / 1000),
  };
  if (job.errors?.length) body.errors = job.errors;
  return body;
}
