-- Keyword search over semantic memory, for hybrid search: a full-text vector PostgreSQL keeps in step with the
-- content, and a GIN index over live rows. The 'english' configuration drops stopwords (so a query's words can
-- be OR-ed without 'the' matching everything) and stems words, while the parser keeps identifier-like tokens whole
-- through the 'simple' dictionary: INV-2024-7781-B is the lexeme 'inv-2024-7781-b' (plus its parts), E1234 is 'e1234'.
ALTER TABLE semantic_memory
    ADD COLUMN IF NOT EXISTS content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED;

CREATE INDEX IF NOT EXISTS semantic_memory_content_tsv
    ON semantic_memory USING gin (content_tsv)
    WHERE deleted_at IS NULL;
