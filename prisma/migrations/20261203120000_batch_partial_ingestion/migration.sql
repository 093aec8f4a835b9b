-- AEP partialIngestionPercentage of the import POST: the percent of refused records a batch
-- tolerates (null: none, the batch is all or nothing), and the files of the refused rows a
-- partially ingested batch kept for Data Access /failed ([{name, storageKey, sizeBytes}])
ALTER TABLE "batches" ADD COLUMN "partial_ingestion_percent" DOUBLE PRECISION;
ALTER TABLE "batches" ADD COLUMN "failed_files" JSONB;
