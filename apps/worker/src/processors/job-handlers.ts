import type { Job } from 'bullmq';
import { JOB_QUEUES, JobName, JobPayload, QueueName } from '@sx/queue';

export type JobHandler<N extends JobName> = (job: Job<JobPayload<N>, unknown, N>) => Promise<unknown>;

/**
 * Marks a job whose processor is not built yet. The worker then opens no consumer on its queue,
 * so such jobs wait (and stay NEW) instead of being taken and dropped.
 */
export const NOT_BUILT = Symbol('processor not built yet');

/** One entry per job of the registry: the compiler rejects a table that misses one. */
export type JobHandlerTable = { [N in JobName]: JobHandler<N> | typeof NOT_BUILT };

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/** Startup check: every job of the registry has an entry (guards against casts and stale builds). */
export function assertEveryJobHandled(table: Partial<JobHandlerTable>): asserts table is JobHandlerTable {
  const missing = Object.values(JobName).filter((name) => !(name in table));
  if (missing.length) throw new Error(`No processor registered for job(s): ${missing.join(', ')}`);
}

/** Queues on which this worker must consume, with their handled jobs. */
export function consumableQueues(table: JobHandlerTable): Map<QueueName, JobName[]> {
  const out = new Map<QueueName, JobName[]>();
  for (const name of Object.values(JobName)) {
    if (table[name] === NOT_BUILT) continue;
    const queue = JOB_QUEUES[name];
    out.set(queue, [...(out.get(queue) ?? []), name]);
  }
  return out;
}
