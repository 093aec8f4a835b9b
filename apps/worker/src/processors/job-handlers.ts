import type { FactoryProvider, Type } from '@nestjs/common';
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

/** The provider class that handles each job (its `handle`), as the worker module lists them. */
export type JobProcessorTable = { [N in JobName]: Type<{ handle: JobHandler<N> }> | typeof NOT_BUILT };

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

export type AnyTable = Partial<Record<JobName, unknown>>;

/** Startup check: every job of the registry has an entry (guards against casts and stale builds). */
export function assertEveryJobHandled<T extends AnyTable>(table: T): asserts table is T & Record<JobName, unknown> {
  const missing = Object.values(JobName).filter((name) => !(name in table));
  if (missing.length) throw new Error(`No processor registered for job(s): ${missing.join(', ')}`);
}

/** Queues on which this worker must consume, with their handled jobs. */
export function consumableQueues(table: AnyTable): Map<QueueName, JobName[]> {
  const out = new Map<QueueName, JobName[]>();
  for (const name of Object.values(JobName)) {
    if (table[name] === NOT_BUILT) continue;
    const queue = JOB_QUEUES[name];
    out.set(queue, [...(out.get(queue) ?? []), name]);
  }
  return out;
}

/**
 * The JOB_HANDLERS provider: the table of `handle` functions, from the processors' instances. They
 * are injected (not looked up), so that each is constructed before its `handle` is read.
 */
export function handlerTableProvider(processors: JobProcessorTable): FactoryProvider<JobHandlerTable> {
  const built = builtProcessors(processors);
  return {
    provide: JOB_HANDLERS,
    inject: built,
    useFactory: (...instances: Array<{ handle: unknown }>) => {
      const table: Partial<Record<JobName, unknown>> = {};
      for (const name of Object.values(JobName)) {
        const processor = processors[name];
        table[name] = processor === NOT_BUILT ? NOT_BUILT : instances[built.indexOf(processor)].handle;
      }
      return table as JobHandlerTable;
    },
  };
}

/** The processor classes that are built (to provide them). */
export function builtProcessors(processors: JobProcessorTable): Array<Type<unknown>> {
  return [...new Set((Object.values(processors) as unknown[]).filter((p): p is Type<unknown> => p !== NOT_BUILT))];
}
