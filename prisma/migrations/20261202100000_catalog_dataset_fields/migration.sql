-- Issue #11: the dataset fields AEP's Catalog documents, stored as the client sent them and echoed.
-- JSON columns are `json`, not `jsonb`, so that responses keep the client's key order (filters cast).
ALTER TABLE "datasets"
    ADD COLUMN "schema_content_type" TEXT,
    ADD COLUMN "tags" JSON NOT NULL DEFAULT '{}',
    ADD COLUMN "file_description" JSON,
    ADD COLUMN "observable_schema" JSON,
    ADD COLUMN "enable_error_diagnostics" BOOLEAN,
    ADD COLUMN "base_path" TEXT,
    ADD COLUMN "data_source_id" BIGINT,
    ADD COLUMN "created_client" TEXT,
    ADD COLUMN "created_user" TEXT,
    ADD COLUMN "updated_user" TEXT;
