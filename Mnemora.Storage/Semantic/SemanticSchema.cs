namespace Mnemora.Storage.Semantic;

/// <summary>Facts about the <c>semantic_memory</c> table (Mnemora.Storage/Postgres/Migrations/0002_semantic_memory.sql).</summary>
public static class SemanticSchema
{
    /// <summary>The size of <c>embedding vector(384)</c>: all-MiniLM-L6-v2's.</summary>
    public const int Dimensions = 384;

    /// <summary>The role the API queries as: not the owner, not a superuser, not BYPASSRLS, so row-level security binds it.</summary>
    public const string AppRole = "mnemora_app";

    /// <summary>The transaction-local setting the row-level security policies read.</summary>
    public const string TenantSetting = "app.tenant_id";
}
