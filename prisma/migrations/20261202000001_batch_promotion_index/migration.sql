-- The reconciler looks for batches a worker must promote (a migration of its own: enum values
-- added in a transaction cannot be used before it commits).
CREATE INDEX "batches_promotion_idx" ON "batches" ("status") WHERE "status" IN ('staging', 'processing');
