-- Key-range partitions of a partitioned export run (issue 12)
CREATE TABLE "export_partitions" (
    "export_job_id" INTEGER NOT NULL,
    "run_token" UUID NOT NULL,
    "partition" INTEGER NOT NULL,
    "key_from" TEXT,
    "key_to" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_token" UUID,
    "lease_expires_at" TIMESTAMPTZ(3),
    "profiles" INTEGER NOT NULL DEFAULT 0,
    "by_namespace" JSONB,
    "outputs" JSONB,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "export_partitions_pkey" PRIMARY KEY ("export_job_id","run_token","partition")
);

ALTER TABLE "export_partitions" ADD CONSTRAINT "export_partitions_export_job_id_fkey" FOREIGN KEY ("export_job_id") REFERENCES "export_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
