-- Where each record's top-level "segmentMembership" key is (byte offset, -1 when none), written at ingest.
-- Rows stored before stay NULL: an export scans those whole, as before.
ALTER TABLE "profile_fragments" ADD COLUMN "membership_at" INTEGER;
