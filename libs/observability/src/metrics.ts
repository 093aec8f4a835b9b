import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Which process serves the metrics: the `app` label of every series. */
export type MetricsApp = 'api' | 'worker';

/** Kinds of job a worker runs to an end, as the `kind` label says them. */
export type JobKind = 'export' | 'segment' | 'promotion';

// Job durations run from seconds to hours; HTTP from milliseconds to a long upload.
const JOB_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
const PROFILES_PER_SECOND = [100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000];

/**
 * The process's Prometheus registry and the metrics its code records (prom-client). Names carry
 * their unit (`_seconds`, `_total`); every label has a bounded set of values: never a job id, an
 * org or a sandbox. Process metrics (CPU, memory, event loop lag, GC) come with prom-client's
 * defaults. The API adds gauges read from Postgres and Redis at each scrape (StoreGauges).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'sx_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_SECONDS,
    registers: [this.registry],
  });

  readonly jobsEnded = new Counter({
    name: 'sx_jobs_ended_total',
    help: 'Jobs this process ended, by kind and end status.',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'sx_job_duration_seconds',
    help: 'Wall time of the jobs this process ended, from the first claim to the end, by kind and end status.',
    labelNames: ['kind', 'status'] as const,
    buckets: JOB_SECONDS,
    registers: [this.registry],
  });

  readonly exportedProfiles = new Counter({
    name: 'sx_exported_profiles_total',
    help: 'Profiles written by succeeded exports (rate() of it: profiles per second).',
    registers: [this.registry],
  });

  readonly exportThroughput = new Histogram({
    name: 'sx_export_profiles_per_second',
    help: 'Profiles per second of each succeeded export, over its whole wall time.',
    buckets: PROFILES_PER_SECOND,
    registers: [this.registry],
  });

  readonly reconcilerActions = new Counter({
    name: 'sx_reconciler_actions_total',
    help: 'What the reconcilers did: jobs re-queued, ended after their attempts, outbox rows sent.',
    labelNames: ['reconciler', 'action'] as const,
    registers: [this.registry],
  });

  readonly ingestedRecords = new Counter({
    name: 'sx_ingested_records_total',
    help: 'Records of promoted batches, accepted into the store or refused, by dataset kind.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'sx_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (scheduled again), failed (for good).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(app: MetricsApp) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
  }

  /** One job's end: counted, and its duration observed. */
  jobEnded(kind: JobKind, status: string, durationMs?: number): void {
    this.jobsEnded.inc({ kind, status });
    if (durationMs !== undefined && durationMs >= 0) this.jobDuration.observe({ kind, status }, durationMs / 1000);
  }

  /** A succeeded export's profiles and its throughput. */
  exported(profiles: number, durationMs: number): void {
    this.exportedProfiles.inc(profiles);
    if (durationMs > 0) this.exportThroughput.observe((profiles * 1000) / durationMs);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
