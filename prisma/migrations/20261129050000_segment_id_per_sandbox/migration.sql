-- AlterTable
ALTER TABLE "segment_definitions" DROP CONSTRAINT "segment_definitions_pkey",
ADD CONSTRAINT "segment_definitions_pkey" PRIMARY KEY ("org_id", "sandbox_name", "id");

