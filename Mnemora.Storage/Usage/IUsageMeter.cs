namespace Mnemora.Storage.Usage;

/// <summary>
/// A tenant's usage, kept incrementally (never by scanning) so that billing and limits read one
/// item. The memory features record what they add or remove; the tenancy feature reads it.
/// </summary>
public interface IUsageMeter
{
    /// <summary>Adds the delta (negative values remove) to the tenant's running totals.</summary>
    Task RecordAsync(string tenantId, UsageDelta delta, CancellationToken cancellationToken);

    /// <summary>
    /// Registers the agent (and session, when given) the first time it is seen, counting it once
    /// in <c>agents_count</c> / <c>sessions_count</c>. Idempotent and cheap when already known.
    /// </summary>
    Task TrackAgentAsync(string tenantId, string agentId, string? sessionId, CancellationToken cancellationToken);

    /// <summary>The tenant's running totals.</summary>
    Task<UsageTotals> GetTotalsAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>A change to a tenant's stored totals.</summary>
public sealed record UsageDelta(
    long Vectors = 0,
    long EmbeddingsGenerated = 0,
    long DynamoBytes = 0,
    long S3Bytes = 0,
    long PostgresBytes = 0);

/// <summary>A tenant's running totals.</summary>
public sealed record UsageTotals(
    long Vectors,
    long EmbeddingsGeneratedThisMonth,
    long DynamoBytes,
    long S3Bytes,
    long PostgresBytes,
    long Agents,
    long Sessions)
{
    public long StorageBytes => DynamoBytes + S3Bytes + PostgresBytes;
}
