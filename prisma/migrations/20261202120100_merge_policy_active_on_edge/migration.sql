-- AEP's isActiveOnEdge, stored and echoed (issue 11)
ALTER TABLE "merge_policies" ADD COLUMN "is_active_on_edge" BOOLEAN NOT NULL DEFAULT false;

-- AEP allows one edge-active merge policy: enforced per sandbox, whatever the interleaving of writers
CREATE UNIQUE INDEX "merge_policies_active_on_edge_key" ON "merge_policies" ("org_id", "sandbox_name") WHERE "is_active_on_edge";
