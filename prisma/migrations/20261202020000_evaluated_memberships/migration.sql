-- Segment evaluation (issue #10). Evaluated memberships live beside the ingested ones in
-- segment_memberships, marked `evaluated`: exports overlay those rows on the records' own
-- segmentMembership (only they need reading: the records already carry the ingested ones).
ALTER TABLE "segment_memberships" ADD COLUMN "evaluated" BOOLEAN NOT NULL DEFAULT false;

-- Evaluated rows of a segment, in profile order: what an export overlays.
CREATE INDEX "segment_memberships_evaluated_idx" ON "segment_memberships" ("org_id", "sandbox_name", "segment_ns", "segment_id", "identity" COLLATE "C") WHERE "evaluated";

-- Changes an evaluation run found (only deltas: newly realized, newly exited), staged while it
-- runs and applied in one transaction at its end. `run_id` names the run (a segment job, an
-- export job with evaluation), `attempt_token` the attempt, so a retried attempt's rows replace
-- a killed one's.
CREATE TABLE "membership_deltas" (
    "run_id" TEXT NOT NULL,
    "attempt_token" UUID NOT NULL,
    "segment_ns" TEXT NOT NULL,
    "segment_id" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "last_qualification_time" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "membership_deltas_run_idx" ON "membership_deltas" ("run_id", "attempt_token");
