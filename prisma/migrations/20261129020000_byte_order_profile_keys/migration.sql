-- Exports stream fragments and events ordered by profile key and merge-join them in the worker,
-- which compares keys by code point: the order must be byte order ("C" collation), and the
-- indexes must be built in that order so the ordered read is an index scan, not a sort.
DROP INDEX "profile_fragments_profile_idx";
CREATE INDEX "profile_fragments_profile_idx" ON "profile_fragments"("org_id", "sandbox_name", "primary_identity" COLLATE "C", "id");

DROP INDEX "experience_events_profile_idx";
CREATE INDEX "experience_events_profile_idx" ON "experience_events"("org_id", "sandbox_name", "primary_identity" COLLATE "C", "id");
