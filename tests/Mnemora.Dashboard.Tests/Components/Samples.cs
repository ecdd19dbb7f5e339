namespace Mnemora.Dashboard.Tests.Components;

/// <summary>Bodies in the contract's snake_case, as the API sends them.</summary>
public static class Samples
{
    public static object Tenant(string id, string name, string tier = "free", long callsToday = 0, long limit = 500, bool deleted = false) => new
    {
        tenant_id = id,
        name,
        tier,
        created_at = "2025-11-01T10:00:00Z",
        deleted_at = deleted ? "2025-11-20T10:00:00Z" : null,
        api_calls_today = callsToday,
        daily_limit = limit,
    };

    /// <summary>The free tier's limits as the API serves them (decimal units).</summary>
    public static readonly (long Calls, long Vectors, long StorageBytes, long Embeddings) Free = (500, 5_000, 50_000_000, 10_000);

    public static object Details(
        string id,
        string name,
        string tier = "free",
        long callsToday = 0,
        long agents = 0,
        (long Calls, long Vectors, long StorageBytes, long Embeddings)? limits = null)
    {
        var (calls, vectors, storage, embeddings) = limits ?? Free;
        return new
        {
            tenant_id = id,
            name,
            tier,
            created_at = "2025-11-01T10:00:00Z",
            deleted_at = (string?)null,
            usage = new
            {
                api_calls_today = callsToday,
                daily_limit = calls,
                api_calls_month = callsToday * 3,
                embeddings_generated_month = 7,
                vectors_stored = 42,
                storage_bytes = 4096,
                storage = new { dynamo_bytes = 1024, s3_bytes = 2048, postgres_bytes = 1024 },
                agents_count = agents,
                sessions_count = agents * 2,
                billing_period = "2025-11",
                tier,
                vector_limit = vectors,
                storage_limit_bytes = storage,
                embeddings_limit_month = embeddings,
            },
        };
    }

    /// <summary>The body of <c>GET /admin/v1/tiers</c>.</summary>
    public static object Tiers(params (string Tier, long Calls, long Vectors, long StorageBytes, long Embeddings)[] tiers) => new
    {
        tiers = tiers.Select(t => new { tier = t.Tier, daily_calls = t.Calls, vectors = t.Vectors, storage_bytes = t.StorageBytes, embeddings_per_month = t.Embeddings }),
    };

    public static object Key(string keyId, string prefix, bool revoked = false) => new
    {
        key_id = keyId,
        prefix,
        name = "production",
        created_at = "2025-11-02T10:00:00Z",
        last_used_at = (string?)null,
        revoked_at = revoked ? "2025-11-03T10:00:00Z" : null,
    };
}
