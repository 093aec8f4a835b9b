-- Segment jobs (issue #10): batch evaluation of segment definitions, with an outbox, attempts
-- counted when claimed, an attempt lease fenced by its token, and the run's now fixed at first claim.
CREATE TYPE "SegmentJobStatus" AS ENUM ('NEW', 'QUEUED', 'PROCESSING', 'CANCELLING', 'CANCELLED', 'FAILED', 'SUCCEEDED');

CREATE TABLE "segment_jobs" (
    "id" UUID NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "status" "SegmentJobStatus" NOT NULL DEFAULT 'NEW',
    "requested_segments" JSONB NOT NULL,
    "definitions" JSONB NOT NULL,
    "schema_name" TEXT NOT NULL DEFAULT '_xdm.context.profile',
    "metrics" JSONB,
    "errors" JSONB,
    "request_id" TEXT NOT NULL,
    "creation_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "update_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attempt_token" UUID,
    "lease_expires_at" TIMESTAMPTZ(3),
    "now_ms" BIGINT,
    CONSTRAINT "segment_jobs_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "segment_jobs_tenant_page_idx" ON "segment_jobs" ("org_id", "sandbox_name", "creation_time" DESC, "id" DESC);
CREATE INDEX "segment_jobs_status_idx" ON "segment_jobs" ("status");

CREATE TABLE "segment_job_outbox" (
    "job_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "segment_job_outbox_pkey" PRIMARY KEY ("job_id")
);
ALTER TABLE "segment_job_outbox" ADD CONSTRAINT "segment_job_outbox_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "segment_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
