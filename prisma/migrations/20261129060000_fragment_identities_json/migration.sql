-- AlterTable
ALTER TABLE "profile_fragments" ADD COLUMN "identities_json" TEXT;
