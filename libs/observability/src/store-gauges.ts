import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { Queue } from 'bullmq';
import { JobStatusCount, OldestProcessing, OperationsRepository } from '@sx/persistence';
import { JobQueueService } from '@sx/queue';
import { Metrics } from './metrics';

/** The queue states a backlog alert watches (BullMQ's counts). */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;
/** A source slower than this (Redis down: BullMQ waits for its connection) is left out of the scrape. */
const READ_TIMEOUT_MS = 2000;
/** Scrapes this close together share one read. */
const SNAPSHOT_TTL_MS = 1000;

interface Snapshot {
  jobs?: JobStatusCount[];
  oldest?: OldestProcessing[];
  queues?: Array<{ queue: string; counts: Record<string, number> }>;
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Gauges of the deployment's state, read at each scrape: jobs by kind and status (Postgres, the
 * record of every job), the staleness of the oldest PROCESSING job, and each queue's depth per
 * state (Redis). Served by the API only: every API replica reads the same state, so a dashboard
 * takes max() over them, and workers stay free of these queries. A source that does not answer
 * within 2 s leaves its gauges out and sets sx_metrics_source_up to 0: /metrics always answers.
 */
@Injectable()
export class StoreGauges implements OnModuleInit {
  private snapshot?: { at: number; value: Promise<Snapshot> };
  private readonly queues: Queue[];

  constructor(
    private readonly metrics: Metrics,
    private readonly operations: OperationsRepository,
    jobQueues: JobQueueService,
  ) {
    this.queues = jobQueues.allQueues();
  }

  /** One read of both sources, shared by the gauges of a scrape. */
  private read(): Promise<Snapshot> {
    if (this.snapshot && Date.now() - this.snapshot.at < SNAPSHOT_TTL_MS) return this.snapshot.value;
    const settle = <T>(work: () => Promise<T>) => within(work(), READ_TIMEOUT_MS).catch(() => undefined);
    const value = (async () => {
      const [jobs, oldest, queues] = await Promise.all([
        settle(() => this.operations.jobsByStatus()),
        settle(() => this.operations.oldestProcessing()),
        settle(() => Promise.all(this.queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...QUEUE_STATES) })))),
      ]);
      return { jobs, oldest, queues };
    })();
    this.snapshot = { at: Date.now(), value };
    return value;
  }

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const read = () => this.read();
    new Gauge({
      name: 'sx_metrics_source_up',
      help: 'Whether this scrape could read Postgres and Redis (1) or not (0).',
      labelNames: ['source'] as const,
      registers,
      async collect() {
        const s = await read();
        this.set({ source: 'postgres' }, s.jobs && s.oldest ? 1 : 0);
        this.set({ source: 'redis' }, s.queues ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sx_jobs',
      help: 'Jobs in the store by kind and status (Postgres).',
      labelNames: ['kind', 'status'] as const,
      registers,
      async collect() {
        this.reset();
        for (const { kind, status, count } of (await read()).jobs ?? []) this.set({ kind, status }, count);
      },
    });
    new Gauge({
      name: 'sx_jobs_processing_stale_seconds',
      help: 'Seconds since the least recently updated PROCESSING job of a kind last changed (progress updates it); 0 when none is PROCESSING.',
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        this.reset();
        for (const { kind, seconds } of (await read()).oldest ?? []) this.set({ kind }, seconds);
      },
    });
    new Gauge({
      name: 'sx_queue_jobs',
      help: 'BullMQ jobs per queue and state (Redis).',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        for (const { queue, counts } of (await read()).queues ?? []) for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      },
    });
  }
}
