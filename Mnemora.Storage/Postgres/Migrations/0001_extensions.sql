-- pgvector holds the embeddings of semantic memory.
CREATE EXTENSION IF NOT EXISTS vector;
