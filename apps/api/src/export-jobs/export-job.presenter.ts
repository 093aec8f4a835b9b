import type { ExportJob } from '@sx/domain';

/**
 * An export job as AEP shows it, field for field: see the reference's JSON examples. Times are
 * epoch milliseconds; optional parts appear only when the job has them.
 */
export function presentExportJob(job: ExportJob): Record<string, unknown> {
  const creationTime = job.creationTime.getTime();
  const body: Record<string, unknown> = {
    id: job.id,
    jobType: 'BATCH',
    destination: job.destination,
  };
  if (job.fields !== undefined) body.fields = job.fields;
  body.schema = job.schema;
  body.imsOrgId = job.orgId;
  body.status = job.status;
  if (job.filter) body.filter = job.filter;
  if (job.additionalFields) body.additionalFields = job.additionalFields;
  if (job.mergePolicy) body.mergePolicy = job.mergePolicy;
  if (job.evaluationInfo) body.evaluationInfo = job.evaluationInfo;
  // Not in AEP: where a chain link starts and ends (README "Incremental chains").
  if (job.chainLink) body.chainLink = job.chainLink;
  body.profileInstanceId = job.profileInstanceId;
  if (job.errors?.length) body.errors = job.errors;
  // A job that has not run yet still shows when its clock started, as AEP's NEW example does.
  body.metrics = job.metrics ?? { totalTime: { startTimeInMs: creationTime } };
  body.computeGatewayJobId = { exportJob: job.computeGatewayJobId };
  body.creationTime = creationTime;
  body.updateTime = job.updateTime.getTime();
  body.requestId = job.requestId;
  // Not in AEP for exports (its segment jobs have it): the schedule run that created the job.
  if (job.properties) body.properties = { scheduleId: job.properties.scheduleId, runId: job.properties.runId };
  // Not in AEP (issue 15): only on dry runs.
  if (job.dryRun) body.dryRun = true;
  if (job.dryRunResult) body.dryRunResult = job.dryRunResult;
  if (job.diffOf) body.diffOf = job.diffOf;
  return body;
}
