namespace Mnemora.Client;

/// <summary>The tenant's usage against its tier's limits (<c>GET /v1/usage</c>).</summary>
/// <param name="ApiCallsToday">Calls counted today (UTC).</param>
/// <param name="DailyLimit">The tier's calls per UTC day.</param>
/// <param name="ApiCallsMonth">Calls counted this billing period.</param>
/// <param name="EmbeddingsGeneratedMonth">Embeddings computed this billing period.</param>
/// <param name="VectorsStored">Semantic memories stored.</param>
/// <param name="StorageBytes">Bytes stored in all stores.</param>
/// <param name="Storage">Bytes stored per store.</param>
/// <param name="AgentsCount">Agents with memory.</param>
/// <param name="SessionsCount">Sessions with memory.</param>
/// <param name="BillingPeriod">The billing period, <c>YYYY-MM</c>.</param>
/// <param name="Tier">The tenant's tier.</param>
/// <param name="VectorLimit">The tier's semantic memories (vectors).</param>
/// <param name="StorageLimitBytes">The tier's bytes in all stores (decimal: 50 MB is 50,000,000 bytes).</param>
/// <param name="EmbeddingsLimitMonth">The tier's embeddings per billing period.</param>
public sealed record Usage(
    long ApiCallsToday,
    long DailyLimit,
    long ApiCallsMonth,
    long EmbeddingsGeneratedMonth,
    long VectorsStored,
    long StorageBytes,
    StorageUsage Storage,
    long AgentsCount,
    long SessionsCount,
    string BillingPeriod,
    TenantTier Tier,
    long VectorLimit,
    long StorageLimitBytes,
    long EmbeddingsLimitMonth);

internal sealed record VectorCountBody(long VectorCount);

/// <summary>Bytes stored per store.</summary>
/// <param name="DynamoBytes">State and hot episodes (DynamoDB).</param>
/// <param name="S3Bytes">Cold episodes (S3).</param>
/// <param name="PostgresBytes">Semantic memories (PostgreSQL).</param>
public sealed record StorageUsage(long DynamoBytes, long S3Bytes, long PostgresBytes);

/// <summary>The server's health (<c>GET /v1/health</c>, anonymous).</summary>
/// <param name="Status"><c>healthy</c> when every store answers.</param>
/// <param name="Version">The server's version.</param>
/// <param name="Stores">Each store's status by name (<c>postgres</c>, <c>dynamodb</c>, <c>s3</c>).</param>
public sealed record MnemoraHealth(string Status, string Version, IReadOnlyDictionary<string, StoreHealth> Stores);

/// <summary>One store's health.</summary>
/// <param name="Status"><c>up</c> or <c>down</c>.</param>
/// <param name="Detail">Why it is down; null when up.</param>
public sealed record StoreHealth(string Status, string? Detail);
