-- Batch promotion runs on workers: COMPLETE moves a batch to staging, a worker to processing.
ALTER TYPE "BatchStatus" ADD VALUE IF NOT EXISTS 'staging';
ALTER TYPE "BatchStatus" ADD VALUE IF NOT EXISTS 'processing';

ALTER TABLE "batches" ADD COLUMN "promotion_attempts" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "batch_promotion_outbox" (
    "batch_id" CHAR(32) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "batch_promotion_outbox_pkey" PRIMARY KEY ("batch_id")
);

ALTER TABLE "batch_promotion_outbox" ADD CONSTRAINT "batch_promotion_outbox_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

