-- Editable memories, their full history, expiry and erasure (issue 18 items 3 and 5).

-- What brought the live version about; with the history rows it makes the memory's whole story.
ALTER TABLE semantic_memory ADD COLUMN IF NOT EXISTS change text NOT NULL DEFAULT 'created';
ALTER TABLE semantic_memory DROP CONSTRAINT IF EXISTS semantic_memory_change_known;
ALTER TABLE semantic_memory ADD CONSTRAINT semantic_memory_change_known
    CHECK (change IN ('created', 'updated', 'merged', 'deleted'));

-- ttl_hours: a memory past expires_at is absent from every read at once, and the sweep removes it.
ALTER TABLE semantic_memory ADD COLUMN IF NOT EXISTS expires_at timestamptz;
CREATE INDEX IF NOT EXISTS semantic_memory_expiry
    ON semantic_memory (expires_at) WHERE expires_at IS NOT NULL;

-- A deleted memory keeps no vector (GDPR erasure, not a flag); its history keeps entries without content.
ALTER TABLE semantic_memory ALTER COLUMN embedding DROP NOT NULL;
ALTER TABLE semantic_memory_history ALTER COLUMN content DROP NOT NULL;

-- History stays append-only except for erasure: a delete blanks the content and metadata of earlier versions.
GRANT UPDATE (content, metadata) ON semantic_memory_history TO mnemora_app;

-- The expiry sweep crosses tenants, which row-level security forbids mnemora_app to do. Rather than widen
-- the role, this one function (run as its owner) may delete expired rows, and nothing else; it returns
-- what each tenant lost so the caller can correct the usage counters.
CREATE OR REPLACE FUNCTION semantic_sweep_expired(batch_size integer)
RETURNS TABLE (tenant_id text, vectors bigint, bytes bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    WITH doomed AS (
        SELECT m.id FROM semantic_memory m
        WHERE m.expires_at IS NOT NULL AND m.expires_at <= now()
        ORDER BY m.expires_at
        LIMIT greatest(batch_size, 1)
        FOR UPDATE SKIP LOCKED),
    gone AS (
        DELETE FROM semantic_memory m USING doomed WHERE m.id = doomed.id
        RETURNING m.tenant_id, m.stored_bytes, m.deleted_at),
    lost AS (
        SELECT g.tenant_id,
               count(*) FILTER (WHERE g.deleted_at IS NULL) AS vectors,
               coalesce(sum(g.stored_bytes) FILTER (WHERE g.deleted_at IS NULL), 0)::bigint AS bytes
        FROM gone g GROUP BY g.tenant_id),
    adjusted AS (
        UPDATE semantic_tenant_totals t
        SET vectors = greatest(t.vectors - lost.vectors, 0), bytes = greatest(t.bytes - lost.bytes, 0)
        FROM lost WHERE t.tenant_id = lost.tenant_id
        RETURNING t.tenant_id)
    SELECT lost.tenant_id, lost.vectors, lost.bytes FROM lost;
END
$$;
REVOKE ALL ON FUNCTION semantic_sweep_expired(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION semantic_sweep_expired(integer) TO mnemora_app;
