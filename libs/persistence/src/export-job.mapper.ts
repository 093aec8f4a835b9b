import type { ChainLink, DryRunResult, ExportDestination, ExportJob, ExportJobError, ExportJobRequest, ExportMetrics, MergePolicyRef, ScheduleRunRef } from '@sx/domain';
import type { ExportJob as ExportJobRow } from './generated/prisma/client';

/** Prisma row → domain type; the only place that knows the column layout of export_jobs. */
export function toExportJob(row: ExportJobRow): ExportJob {
  const job: ExportJob = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    clientId: row.clientId,
    status: row.status,
    schema: { name: row.schemaName },
    destination: row.destination as unknown as ExportDestination,
    profileInstanceId: row.profileInstanceId,
    computeGatewayJobId: row.computeGatewayJobId,
    requestId: row.requestId,
    creationTime: row.creationTime,
    updateTime: row.updateTime,
  };
  if (row.fields !== null) job.fields = row.fields;
  if (row.filter !== null) job.filter = row.filter as ExportJobRequest['filter'];
  if (row.additionalFields !== null) job.additionalFields = row.additionalFields as ExportJobRequest['additionalFields'];
  if (row.mergePolicy !== null) job.mergePolicy = row.mergePolicy as unknown as MergePolicyRef;
  if (row.evaluationInfo !== null) job.evaluationInfo = row.evaluationInfo as ExportJobRequest['evaluationInfo'];
  if (row.metrics !== null) job.metrics = row.metrics as ExportMetrics;
  if (row.errors !== null) job.errors = row.errors as unknown as ExportJobError[];
  if (row.cancelRequestedAt) job.cancelRequestedAt = row.cancelRequestedAt;
  if (row.evaluationNowMs !== null) job.evaluationNowMs = Number(row.evaluationNowMs);
  if (row.readSnapshot !== null) job.readSnapshot = row.readSnapshot;
  if (row.chainId !== null) job.chainLink = chainLinkOf(row, row.chainId);
  if (row.properties !== null) job.properties = row.properties as unknown as ScheduleRunRef;
  if (row.dryRun) job.dryRun = true;
  if (row.dryRunResult !== null) job.dryRunResult = row.dryRunResult as unknown as DryRunResult;
  if (row.diffBeforeJobId !== null && row.diffAfterJobId !== null) job.diffOf = { beforeJobId: row.diffBeforeJobId, afterJobId: row.diffAfterJobId };
  return job;
}

function chainLinkOf(row: ExportJobRow, chainId: string): ChainLink {
  const link: ChainLink = { chainId };
  if (row.chainPreviousJobId !== null) link.previousJobId = row.chainPreviousJobId;
  if (row.chainAfter !== null) link.after = row.chainAfter;
  if (row.readSnapshot !== null) link.upTo = row.readSnapshot;
  return link;
}
