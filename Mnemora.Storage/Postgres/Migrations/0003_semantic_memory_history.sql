-- Versions of semantic memories. Deduplication (and later an edit) may replace a memory's content with a newer
-- statement of the same fact; the older version is written here in the same transaction, so no fact is lost.
-- A row is a version as it was before it was superseded; the live row in semantic_memory is the current one.

ALTER TABLE semantic_memory ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;

CREATE TABLE IF NOT EXISTS semantic_memory_history (
    id          uuid        PRIMARY KEY,
    tenant_id   text        NOT NULL,
    -- Deleting the memory (the GDPR purge of its agent or tenant) deletes its history with it.
    memory_id   uuid        NOT NULL REFERENCES semantic_memory (id) ON DELETE CASCADE,
    agent_id    text        NOT NULL,
    version     bigint      NOT NULL,
    -- What brought this version about.
    change      text        NOT NULL CHECK (change IN ('created', 'updated', 'merged', 'deleted')),
    content     text        NOT NULL,
    metadata    jsonb       NOT NULL,
    namespace   text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    CONSTRAINT semantic_memory_history_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- A memory's versions in order (and the foreign key's cascade finds them by memory_id).
CREATE INDEX IF NOT EXISTS semantic_memory_history_memory
    ON semantic_memory_history (memory_id, version, changed_at);
CREATE INDEX IF NOT EXISTS semantic_memory_history_tenant_agent
    ON semantic_memory_history (tenant_id, agent_id);

-- The same wall as the memories: no tenant setting, no rows.
ALTER TABLE semantic_memory_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE semantic_memory_history FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON semantic_memory_history;
CREATE POLICY tenant_isolation ON semantic_memory_history
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

-- Append-only for the API: versions are written and read (and go with their memory), never rewritten.
REVOKE ALL ON semantic_memory_history FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON semantic_memory_history TO mnemora_app;
