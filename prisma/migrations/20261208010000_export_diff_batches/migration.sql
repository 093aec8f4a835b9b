-- Issue 15: a diff's batch (GET /export/jobs/{id}/diff/{otherId}?batch=true) is an export job that
-- writes the entered, exited and changed profiles of the two exports instead of reading the store.
ALTER TABLE "export_jobs" ADD COLUMN "diff_before_job_id" INTEGER;
ALTER TABLE "export_jobs" ADD COLUMN "diff_after_job_id" INTEGER;
-- One live diff batch per ordered pair of exports: asking again answers the same job. A failed or
-- cancelled one (or a deleted one) leaves room for the next request.
CREATE UNIQUE INDEX "export_jobs_diff_pair_idx" ON "export_jobs" ("org_id", "sandbox_name", "diff_before_job_id", "diff_after_job_id")
  WHERE "diff_before_job_id" IS NOT NULL AND "deleted_at" IS NULL AND "status" IN ('NEW', 'PROCESSING', 'SUCCEEDED');
