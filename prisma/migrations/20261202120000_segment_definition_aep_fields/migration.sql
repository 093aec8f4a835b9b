-- AEP documents these on segment definitions: stored and echoed (issue 11)
ALTER TABLE "segment_definitions" ADD COLUMN "ttl_in_days" INTEGER;
ALTER TABLE "segment_definitions" ADD COLUMN "payload_schema" TEXT;
ALTER TABLE "segment_definitions" ADD COLUMN "audience_fields" JSON;
