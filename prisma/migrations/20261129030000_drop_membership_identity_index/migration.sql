-- Exports look memberships up by (segment, identity) through the primary key; an index on the
-- identity alone only cost every ingest a third index to maintain.
DROP INDEX IF EXISTS "segment_memberships_identity_idx";
