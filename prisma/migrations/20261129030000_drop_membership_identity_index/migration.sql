-- Exports look memberships up by (segment, identity) through the primary key. An index on the
-- identity alone only cost every ingest a third index to maintain.
-- (No semicolons in comments here: Prisma's driver-adapter runner splits scripts on them.)
DROP INDEX IF EXISTS "segment_memberships_identity_idx";
