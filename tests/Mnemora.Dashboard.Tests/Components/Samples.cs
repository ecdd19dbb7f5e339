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

    public static object Details(string id, string name, string tier = "free", long callsToday = 0, long agents = 0) => new
    {
        tenant_id = id,
        name,
        tier,
        created_at = "2025-11-01T10:00:00Z",
        deleted_at = (string?)null,
        usage = new
        {
            api_calls_today = callsToday,
            daily_limit = 500,
            api_calls_month = callsToday * 3,
            embeddings_generated_month = 7,
            vectors_stored = 42,
            storage_bytes = 4096,
            storage = new { dynamo_bytes = 1024, s3_bytes = 2048, postgres_bytes = 1024 },
            agents_count = agents,
            sessions_count = agents * 2,
            billing_period = "2025-11",
            tier,
        },
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
