-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ExportJobStatus" AS ENUM ('NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "api_clients" (
    "client_id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandboxes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_clients_pkey" PRIMARY KEY ("client_id")
);

-- CreateTable
CREATE TABLE "export_jobs" (
    "id" SERIAL NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "status" "ExportJobStatus" NOT NULL DEFAULT 'NEW',
    "fields" TEXT,
    "schema_name" TEXT NOT NULL,
    "destination" JSON NOT NULL,
    "filter" JSON,
    "additional_fields" JSON,
    "merge_policy" JSON,
    "evaluation_info" JSON,
    "profile_instance_id" TEXT NOT NULL DEFAULT 'ups',
    "metrics" JSONB,
    "errors" JSONB,
    "compute_gateway_job_id" TEXT NOT NULL DEFAULT '',
    "request_id" TEXT NOT NULL,
    "creation_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "update_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "export_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "export_job_outbox" (
    "job_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "export_job_outbox_pkey" PRIMARY KEY ("job_id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "client_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "job_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("client_id","sandbox_name","key")
);

-- CreateIndex
CREATE INDEX "export_jobs_tenant_page_idx" ON "export_jobs"("org_id", "sandbox_name", "creation_time" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "export_jobs_status_idx" ON "export_jobs"("status");

-- AddForeignKey
ALTER TABLE "export_job_outbox" ADD CONSTRAINT "export_job_outbox_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "export_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "export_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

