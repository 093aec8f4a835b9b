-- Issue 15: dry runs (stored as export jobs, no batch) and per-segment counts of partitions.
ALTER TABLE "export_jobs" ADD COLUMN "dry_run" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "export_jobs" ADD COLUMN "dry_run_result" JSONB;
ALTER TABLE "export_partitions" ADD COLUMN "by_segment" JSONB;
