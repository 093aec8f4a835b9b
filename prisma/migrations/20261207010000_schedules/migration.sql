-- Schedules (issue 15): AEP's /config/schedules, their runs (one per tick: the UNIQUE key), and
-- the properties {scheduleId, runId} of the export and segment jobs a run creates.

-- AlterTable
ALTER TABLE "export_jobs" ADD COLUMN     "properties" JSONB;

-- AlterTable
ALTER TABLE "segment_jobs" ADD COLUMN     "properties" JSONB;

-- CreateTable
CREATE TABLE "schedules" (
    "id" UUID NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'inactive',
    "schedule" TEXT NOT NULL,
    "properties" JSONB NOT NULL,
    "client_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),

    CONSTRAINT "schedules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_runs" (
    "id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "tick_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "export_job_id" INTEGER,
    "segment_job_id" UUID,
    "error" TEXT,

    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "schedules_tenant_idx" ON "schedules"("org_id", "sandbox_name", "created_at");

-- CreateIndex
CREATE INDEX "schedules_state_idx" ON "schedules"("state");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_runs_tick_key" ON "schedule_runs"("schedule_id", "tick_at");

-- AddForeignKey
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "schedules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

