-- Previews and estimates (issue #10). A preview evaluates one expression over the profiles of a
-- sandbox and writes no membership: its counts live in the row, its matching profiles in
-- preview_matches (for paging). Rows expire (PREVIEW_TTL_SECONDS) and are removed by workers.
CREATE TABLE "previews" (
    "id" UUID NOT NULL,
    "org_id" TEXT NOT NULL,
    "sandbox_name" TEXT NOT NULL,
    "expression" TEXT NOT NULL,
    "predicate_model" TEXT NOT NULL,
    "graph_type" TEXT NOT NULL,
    "merge_policy_id" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'NEW',
    "to_enqueue" BOOLEAN NOT NULL DEFAULT true,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attempt_token" UUID,
    "lease_expires_at" TIMESTAMPTZ(3),
    "total_rows" INTEGER NOT NULL DEFAULT 0,
    "profiles_read" INTEGER NOT NULL DEFAULT 0,
    "profiles_matched" INTEGER NOT NULL DEFAULT 0,
    "namespace_distribution" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "previews_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "previews_tenant_idx" ON "previews" ("org_id", "sandbox_name");
CREATE INDEX "previews_expires_idx" ON "previews" ("expires_at");

-- The matching profiles of a preview, numbered in profile key order (an attempt that is retried
-- deletes its rows first, so numbers never repeat).
CREATE TABLE "preview_matches" (
    "preview_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "entity_id" TEXT NOT NULL,
    "identities" JSON NOT NULL,
    CONSTRAINT "preview_matches_pkey" PRIMARY KEY ("preview_id", "ordinal"),
    CONSTRAINT "preview_matches_preview_id_fkey" FOREIGN KEY ("preview_id") REFERENCES "previews" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
