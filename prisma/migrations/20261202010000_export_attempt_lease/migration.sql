-- Attempts of an export and the lease of the running one (issue #9).
-- attempts counts claims, so an attempt whose worker was killed counts too.
-- attempt_token fences commits: only the attempt holding the current token writes.
-- lease_expires_at is renewed by the running attempt, and nobody claims the job before it passes.
ALTER TABLE "export_jobs" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "attempt_token" UUID,
ADD COLUMN "lease_expires_at" TIMESTAMPTZ(3);
