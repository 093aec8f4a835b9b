-- Records are stored as the client sent them (`json` keeps the text, key order included) rather
-- than re-encoded (`jsonb` sorts keys): exports then give back each record's own order, and
-- ingestion skips building a binary tree it never queries.
ALTER TABLE "profile_fragments" ALTER COLUMN "record" TYPE JSON USING "record"::json;
ALTER TABLE "experience_events" ALTER COLUMN "record" TYPE JSON USING "record"::json;
