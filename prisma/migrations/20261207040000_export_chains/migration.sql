-- Gap-free incremental chains (README "Incremental chains").
-- The transaction that promotes a batch records its own id: whether the batch's rows are in a
-- snapshot is then exactly whether this id is visible in it (pg_visible_in_snapshot), whatever
-- the order in which concurrent promotions commit. Batches promoted before this column: NULL,
-- read as committed long ago (in every snapshot).
ALTER TABLE "batches" ADD COLUMN "commit_xid" xid8;

-- Fixed at an export's first claim: the snapshot it reads (every profile as of it, so that its
-- partitions and a retry read the same store however ingestion goes on), and for a link of a chain
-- the chain's previous succeeded link and that link's snapshot, the lower bound.
ALTER TABLE "export_jobs" ADD COLUMN "read_snapshot" TEXT,
                          ADD COLUMN "chain_id" TEXT,
                          ADD COLUMN "chain_after" TEXT,
                          ADD COLUMN "chain_previous_job_id" INTEGER;

-- One unfinished export per chain: two links running at once would both start after the same
-- previous link and overlap. A dry run of a link is no link: it neither holds the chain nor
-- becomes the previous link.
CREATE UNIQUE INDEX "export_jobs_chain_unfinished_idx" ON "export_jobs" ("org_id", "sandbox_name", "chain_id")
  WHERE "chain_id" IS NOT NULL AND "status" IN ('NEW', 'PROCESSING') AND "deleted_at" IS NULL AND NOT "dry_run";
-- The previous succeeded link, found at a claim.
CREATE INDEX "export_jobs_chain_succeeded_idx" ON "export_jobs" ("org_id", "sandbox_name", "chain_id", "id" DESC)
  WHERE "chain_id" IS NOT NULL AND "status" = 'SUCCEEDED' AND NOT "dry_run";
