-- Every row of an agent, deleted ones included: what the GDPR purge deletes and what a tenant's erasure lists.
-- The other indexes hold live rows only (WHERE deleted_at IS NULL), so those statements scanned the whole table.
CREATE INDEX IF NOT EXISTS semantic_memory_tenant_agent_all
    ON semantic_memory (tenant_id, agent_id);
