-- CreateEnum
CREATE TYPE "BatchStatus" AS ENUM ('loading', 'success', 'failed', 'aborted');

-- CreateTable
CREATE TABLE "datasets" (
    "id" CHAR(24) NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "schema_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batches" (
    "id" CHAR(32) NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "dataset_id" CHAR(24) NOT NULL,
    "status" "BatchStatus" NOT NULL DEFAULT 'loading',
    "input_format" TEXT NOT NULL DEFAULT 'json',
    "origin" TEXT NOT NULL DEFAULT 'ingest',
    "export_job_id" INTEGER,
    "record_count" INTEGER NOT NULL DEFAULT 0,
    "failed_record_count" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_files" (
    "id" VARCHAR(64) NOT NULL,
    "batch_id" CHAR(32) NOT NULL,
    "name" TEXT NOT NULL,
    "storage_key" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "records" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batch_files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "profile_fragments" (
    "id" BIGSERIAL NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "dataset_id" CHAR(24) NOT NULL,
    "batch_id" CHAR(32) NOT NULL,
    "primary_identity" TEXT NOT NULL,
    "identities" TEXT[],
    "record" JSONB NOT NULL,
    "ingest_time" TIMESTAMPTZ(3) NOT NULL,
    "record_time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "profile_fragments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experience_events" (
    "id" BIGSERIAL NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "dataset_id" CHAR(24) NOT NULL,
    "batch_id" CHAR(32) NOT NULL,
    "event_id" TEXT,
    "primary_identity" TEXT NOT NULL,
    "identities" TEXT[],
    "event_time" TIMESTAMPTZ(3),
    "record" JSONB NOT NULL,
    "ingest_time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "experience_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segment_memberships" (
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "segment_ns" TEXT NOT NULL,
    "segment_id" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "last_qualification_time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "segment_memberships_pkey" PRIMARY KEY ("org_id","sandbox_name","segment_ns","segment_id","identity")
);

-- CreateTable
CREATE TABLE "merge_policies" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "attribute_merge" JSON NOT NULL,
    "identity_graph" TEXT NOT NULL,
    "schema_name" TEXT NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "merge_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segment_definitions" (
    "id" UUID NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "namespace" TEXT NOT NULL DEFAULT 'ups',
    "merge_policy_id" TEXT NOT NULL,
    "expression" JSON NOT NULL,
    "schema_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segment_definitions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "datasets_tenant_idx" ON "datasets"("org_id", "sandbox_name", "created_at" DESC);

-- CreateIndex
CREATE INDEX "batches_dataset_idx" ON "batches"("org_id", "sandbox_name", "dataset_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "batch_files_batch_name_key" ON "batch_files"("batch_id", "name");

-- CreateIndex
CREATE INDEX "profile_fragments_profile_idx" ON "profile_fragments"("org_id", "sandbox_name", "primary_identity");

-- CreateIndex
CREATE INDEX "profile_fragments_batch_idx" ON "profile_fragments"("batch_id");

-- CreateIndex
CREATE INDEX "experience_events_profile_idx" ON "experience_events"("org_id", "sandbox_name", "primary_identity", "ingest_time");

-- CreateIndex
CREATE INDEX "experience_events_batch_idx" ON "experience_events"("batch_id");

-- CreateIndex
CREATE INDEX "segment_memberships_filter_idx" ON "segment_memberships"("org_id", "sandbox_name", "segment_ns", "segment_id", "status", "last_qualification_time", "identity");

-- CreateIndex
CREATE INDEX "segment_memberships_identity_idx" ON "segment_memberships"("org_id", "sandbox_name", "identity");

-- CreateIndex
CREATE INDEX "merge_policies_tenant_idx" ON "merge_policies"("org_id", "sandbox_name");

-- CreateIndex
CREATE INDEX "segment_definitions_tenant_idx" ON "segment_definitions"("org_id", "sandbox_name", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_files" ADD CONSTRAINT "batch_files_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

