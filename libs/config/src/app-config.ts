import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { StorageConfig, storageProblems } from './storage-config';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);
const toBoolean = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : value === 'true' ? true : value === 'false' ? false : value);
const blankToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the service reads, with its default. Parsed and validated once at
 * start (`loadConfig`); nothing else reads `process.env`. The storage variables are in StorageConfig.
 */
export class AppConfig extends StorageConfig {
  /** `production` turns the insecure development defaults (secrets, admin password) into errors. */
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * The worker's own HTTP listener: /health/live, /health/ready and /metrics only. 0: a free
   * port the OS picks (logged at start), for several workers on one host.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_HTTP_PORT = 3001;

  /** `true` lets webhooks reach loopback, private and link-local addresses (SSRF guard off: tests, closed networks). */
  @Transform(toBoolean)
  @IsIn([true, false], { message: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  /** How long one delivery attempt may take (connect to last byte) before it counts as failed. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Delay before a delivery's second attempt; it doubles each time, at most one hour. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  WEBHOOK_BACKOFF_MS = 10_000;

  /** A delivery still failing this long after its event fails for good. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 14)
  WEBHOOK_RETRY_HOURS = 24;

  /** When set, GET /metrics (API and worker) answers only to `Authorization: Bearer <METRICS_TOKEN>`. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;

  /** The URL clients reach the API at, as the OpenAPI document's `servers` names it (default: localhost and PORT). */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL?: string;

  /** Where the AEP-style routes live; clients keep their paths and change only the host. */
  @Matches(/^\/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$/, { message: 'BASE_PATH must start with / and not end with /' })
  BASE_PATH = '/data/core/ups';

  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgresql:// URL' })
  DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/segment_export';

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every BullMQ key and pub/sub channel; lets several deployments share one Redis. */
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'QUEUE_PREFIX may hold letters, digits, _ and - only' })
  QUEUE_PREFIX = 'sx';

  /** HMAC key of access tokens. Required (32+ characters) in production. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  TOKEN_TTL_SECONDS = 24 * 3600;

  @IsString()
  @MinLength(1)
  ADMIN_USER = 'admin';

  /** Bull Board password. Required in production; `admin` otherwise. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(1)
  ADMIN_PASSWORD?: string;

  /** How often each worker re-queues jobs that Redis lost or that the API could not enqueue. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  RECONCILE_INTERVAL_MS = 5000;

  /** How long the API waits for Redis when enqueueing right after commit (the reconciler covers failures). */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  ENQUEUE_TIMEOUT_MS = 2000;

  /** Largest accepted JSON request body. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Largest accepted uploaded batch file (bytes, as sent, before gunzip). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024;

  /** Export output files are split every this many rows. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EXPORT_FILE_ROWS = 1_000_000;

  /** Attempts of an export before it ends FAILED (a retry starts over; output stays exactly-once). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  EXPORT_ATTEMPTS = 3;

  /** First retry delay of an export (doubling each time). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  EXPORT_BACKOFF_MS = 5000;

  /**
   * An export without destination.partitions is split into key-range partitions, one per this many
   * profiles of its sandbox (at most 64), written by any workers at once. 0: never split unasked.
   * The default comes from bench:export (2 partitions on 2 cores pay off from about here).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  EXPORT_PARTITION_PROFILES = 1_000_000;

  /** Profiles per second one export may write (0: unlimited); keeps a large export from saturating the database. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  EXPORT_RATE_LIMIT = 0;

  /** Export jobs one worker process runs at once. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 1;

  /** BullMQ job lock: a worker that stops renewing it (killed) loses the job after this long. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  WORKER_LOCK_MS = 30_000;

  /** How often workers look for jobs whose worker died (stalled), and hand them to another. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  WORKER_STALLED_INTERVAL_MS = 30_000;

  /** How often a running export writes its progress (profiles so far) to Postgres and Bull Board. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  EXPORT_PROGRESS_INTERVAL_MS = 2000;

  /** How long a preview (and its estimate and matches) is kept after POST /preview; workers remove expired ones. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(7 * 24 * 3600)
  PREVIEW_TTL_SECONDS = 3600;

  /** A running preview records its progress (profilesReadSoFar) and writes its matches every this many profiles. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  PREVIEW_PROGRESS_EVERY = 1000;

  /** Profiles per second one preview may read (0: unlimited); spares the database, and lets tests watch progress. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  PREVIEW_RATE_LIMIT = 0;

  /** Attempts of a preview (a killed one included) before it ends FAILED. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  PREVIEW_ATTEMPTS = 3;
  /** Attempts of a segment job before it ends FAILED (a retry evaluates at the same `now`: same result). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  SEGMENT_JOB_ATTEMPTS = 3;

  /**
   * Segment jobs a sandbox may have unfinished (NEW, QUEUED, PROCESSING, CANCELLING) at once; one
   * more is refused with 429 (AEP: "too many jobs processing"), so evaluations cannot pile up.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SEGMENT_JOBS_MAX_ACTIVE = 20;

  /**
   * Export diffs one API process computes at once (each holds a bulk connection while it reads
   * both exports back); one more is a 429.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EXPORT_DIFF_MAX_CONCURRENT = 2;

  /**
   * The shortest time a schedule's cron may leave between two runs (AEP allows one a day; we allow
   * more often down to this). A cron firing more often is refused with a 400 naming `schedule`.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  SCHEDULE_MIN_INTERVAL_SECONDS = 300;

  /** Profiles per second one segment job may evaluate (0: unlimited), as EXPORT_RATE_LIMIT for exports. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SEGMENT_RATE_LIMIT = 0;

  /** IANA zone of PQL calendar words (`today`, `this month`, getMonth()...) in evaluations. */
  @IsString()
  @MinLength(1)
  SEGMENT_EVALUATION_ZONE = 'UTC';

  /**
   * Test and replay hook: when set, every evaluation run's `now` (epoch ms) is this instead of
   * the clock at the job's first claim. Never set it in production.
   */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsOptional()
  @IsInt()
  SEGMENT_EVALUATION_NOW_MS?: number;

  /**
   * How long POST /export/jobs?dryRun=true waits for the dry run to end before it answers with the
   * job as it stands (the client then polls it). 0: never waits.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  DRY_RUN_WAIT_MS = 10_000;

  /** Fallback poll of the cancel flag in Postgres (the Redis signal is immediate). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  CANCEL_POLL_MS = 1000;

  // ---- Input limits (issue #9). Each is answered with a clear 4xx or a failed batch naming the file and line.

  /** Deepest nesting of arrays/objects in a JSON request body (checked before class-transformer runs). */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1000)
  BODY_MAX_DEPTH = 32;

  /** Largest decompressed size of one uploaded gzip file (bytes). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  INGEST_MAX_DECOMPRESSED_BYTES = 20 * 1024 * 1024 * 1024;

  /** Largest ratio of decompressed to compressed bytes of a gzip file (checked past the first MiB): a bomb fails fast. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  INGEST_MAX_GZIP_RATIO = 200;

  /** Largest JSON text of one record (bytes); a longer line fails the batch at that line without being held whole. */
  @Transform(toInt)
  @IsInt()
  @Min(256)
  @Max(512 * 1024 * 1024)
  INGEST_MAX_RECORD_BYTES = 1024 * 1024;

  /** Deepest nesting of arrays/objects in one ingested record. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1000)
  INGEST_MAX_RECORD_DEPTH = 64;

  /** Most records in one batch (all its files together). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  INGEST_MAX_BATCH_RECORDS = 50_000_000;

  /** Attempts of a batch promotion (COMPLETE) before the batch ends failed. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  INGEST_ATTEMPTS = 3;

  /** Statement timeout of ingest and export database sessions (ms, 0 = none): nothing holds a connection without a deadline. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DB_STATEMENT_TIMEOUT_MS = 30 * 60_000;

  /** Idle-in-transaction timeout of ingest and export sessions (ms): a stuck producer releases its connection. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

  @IsIn(['debug', 'info', 'warn', 'error', 'silent'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'info';

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  /** The signing key; development and test fall back to a fixed, loudly insecure one. */
  get jwtSecret(): string {
    return this.JWT_SECRET ?? 'insecure-development-only-secret-change-me!';
  }

  get adminPassword(): string {
    return this.ADMIN_PASSWORD ?? 'admin';
  }
}

export class ConfigError extends Error {}

const KNOWN_KEYS = Object.keys(new AppConfig());

/** Reads and validates the environment. Throws a ConfigError that lists every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of KNOWN_KEYS) {
    const value = env[key];
    if (value !== undefined) raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const problems = validateSync(config, { forbidUnknownValues: false }).flatMap((e) => Object.values(e.constraints ?? {}));
  problems.push(...storageProblems(config));
  if (config.isProduction) {
    if (!config.JWT_SECRET) problems.push('JWT_SECRET is required in production (32+ characters)');
    if (!config.ADMIN_PASSWORD) problems.push('ADMIN_PASSWORD is required in production');
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  return config;
}
