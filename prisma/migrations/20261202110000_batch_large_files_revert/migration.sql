-- REVERT ends a successful batch as inactive (AEP's status for a reverted batch)
ALTER TYPE "BatchStatus" ADD VALUE IF NOT EXISTS 'inactive';

-- The documented fields of an import batch POST, stored to be echoed
ALTER TABLE "batches" ADD COLUMN "input_format_options" JSON;
ALTER TABLE "batches" ADD COLUMN "tags" JSON;
ALTER TABLE "batches" ADD COLUMN "external_id" TEXT;
ALTER TABLE "batches" ADD COLUMN "replay" JSON;

-- Large files uploaded in chunks, until their COMPLETE turns them into a batch file
CREATE TABLE "large_file_uploads" (
    "batch_id" CHAR(32) NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "large_file_uploads_pkey" PRIMARY KEY ("batch_id", "name")
);

CREATE TABLE "large_file_chunks" (
    "id" BIGSERIAL NOT NULL,
    "batch_id" CHAR(32) NOT NULL,
    "name" TEXT NOT NULL,
    "start_byte" BIGINT NOT NULL,
    "end_byte" BIGINT NOT NULL,
    "total_bytes" BIGINT,
    "storage_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "large_file_chunks_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "large_file_chunks_range_key" ON "large_file_chunks"("batch_id", "name", "start_byte", "end_byte");

ALTER TABLE "large_file_uploads" ADD CONSTRAINT "large_file_uploads_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "large_file_chunks" ADD CONSTRAINT "large_file_chunks_batch_id_name_fkey" FOREIGN KEY ("batch_id", "name") REFERENCES "large_file_uploads"("batch_id", "name") ON DELETE CASCADE ON UPDATE CASCADE;
