-- Exports with evaluationInfo.segmentation (issue #10): the run's one now (epoch ms), fixed when
-- the job is first claimed, so that a retried attempt evaluates with the same clock and gives the same result.
ALTER TABLE "export_jobs" ADD COLUMN "evaluation_now_ms" BIGINT;
