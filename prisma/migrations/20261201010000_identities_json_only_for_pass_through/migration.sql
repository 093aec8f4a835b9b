-- identities_json is now stored only for records without a top-level "identities" of their own
-- (an export writes those from their stored text). Rows stored before this rule lose it when they have one.
UPDATE "profile_fragments" SET "identities_json" = NULL
 WHERE "identities_json" IS NOT NULL AND json_typeof("record"->'identities') IS NOT NULL;
