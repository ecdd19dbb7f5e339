-- Semantic memory: what an agent knows, searchable by meaning (all-MiniLM-L6-v2: 384 dimensions).
-- Isolation has two walls: every query names the tenant, and row-level security underneath
-- hides other tenants' rows from the API's role even when a query forgets to.

-- The API's role: neither owner, nor superuser, nor BYPASSRLS, so the policies bind it.
-- Created without a password here; the API sets LOGIN and its password at start (SemanticRole).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mnemora_app') THEN
        CREATE ROLE mnemora_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another database's migration on the same server
END
$$;

CREATE TABLE IF NOT EXISTS semantic_memory (
    id          uuid        PRIMARY KEY,
    tenant_id   text        NOT NULL,
    agent_id    text        NOT NULL,
    namespace   text        NOT NULL,
    content     text        NOT NULL,
    embedding   vector(384) NOT NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- What the row counts for in the tenant's postgres_bytes: content, metadata and vector.
    stored_bytes bigint     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT semantic_memory_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- Approximate nearest neighbours over live rows (cosine distance, the operator search orders by).
CREATE INDEX IF NOT EXISTS semantic_memory_embedding_hnsw
    ON semantic_memory USING hnsw (embedding vector_cosine_ops)
    WHERE deleted_at IS NULL;

-- The filters: tenant, tenant + agent (+ namespace), tenant + namespace; newest first for listings.
CREATE INDEX IF NOT EXISTS semantic_memory_tenant_agent_namespace
    ON semantic_memory (tenant_id, agent_id, namespace, created_at DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS semantic_memory_tenant_namespace
    ON semantic_memory (tenant_id, namespace)
    WHERE deleted_at IS NULL;

-- metadata_filter is containment (@>).
CREATE INDEX IF NOT EXISTS semantic_memory_metadata
    ON semantic_memory USING gin (metadata jsonb_path_ops)
    WHERE deleted_at IS NULL;

-- A tenant's live vectors and bytes, kept in the same transaction as each write: the vector cap is
-- exact under concurrency, and the row lock serialises a tenant's stores so dedup cannot race.
CREATE TABLE IF NOT EXISTS semantic_tenant_totals (
    tenant_id text   PRIMARY KEY,
    vectors   bigint NOT NULL DEFAULT 0 CHECK (vectors >= 0),
    bytes     bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0)
);

-- Row-level security that binds every role but superusers and BYPASSRLS roles (FORCE binds the owner
-- too). No setting, or an empty one, matches nothing: the policy fails closed.
ALTER TABLE semantic_memory ENABLE ROW LEVEL SECURITY;
ALTER TABLE semantic_memory FORCE ROW LEVEL SECURITY;
ALTER TABLE semantic_tenant_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE semantic_tenant_totals FORCE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS tenant_isolation ON semantic_memory;
CREATE POLICY tenant_isolation ON semantic_memory
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

DROP POLICY IF EXISTS tenant_isolation ON semantic_tenant_totals;
CREATE POLICY tenant_isolation ON semantic_tenant_totals
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

-- Data access only: no DDL, no TRUNCATE (it ignores RLS), no ownership.
REVOKE ALL ON semantic_memory, semantic_tenant_totals FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON semantic_memory TO mnemora_app;
GRANT SELECT, INSERT, UPDATE ON semantic_tenant_totals TO mnemora_app;
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO mnemora_app', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO mnemora_app;
