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
    /// Adds the delta only if it keeps the tenant within <paramref name="limits"/>, in one atomic step per
    /// usage item (a conditional <c>ADD</c>): concurrent writers cannot together pass a limit. A positive
    /// storage delta is checked against <see cref="UsageLimits.StorageBytes"/>, embeddings against
    /// <see cref="UsageLimits.EmbeddingsPerMonth"/>; negative parts are never refused. Throws
    /// <see cref="StorageLimitException"/> having changed nothing. Undo with <see cref="RecordAsync"/> and
    /// <see cref="UsageDelta.Negated"/> when the write it reserved for fails.
    /// </summary>
    Task ReserveAsync(string tenantId, UsageDelta delta, UsageLimits limits, CancellationToken cancellationToken);

    /// <summary>
    /// Registers the agent (and session, when given) the first time it is seen, counting it once
    /// in <c>agents_count</c> / <c>sessions_count</c>. Idempotent and cheap when already known.
    /// </summary>
    Task TrackAgentAsync(string tenantId, string agentId, string? sessionId, CancellationToken cancellationToken);

    /// <summary>The tenant's running totals.</summary>
    Task<UsageTotals> GetTotalsAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>The tenant's registered agents, in id order: the registry is how a tenant's agents are found without a Scan.</summary>
    Task<IReadOnlyList<string>> ListAgentsAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a purged agent and its sessions from the registry and uncounts each one that this call
    /// removed (so concurrent purges uncount it once). The agent is registered and counted again when it
    /// is next written to.
    /// </summary>
    Task<ForgottenAgent> ForgetAgentAsync(string tenantId, string agentId, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IUsageMeter.ForgetAgentAsync"/> removed from the registry.</summary>
public sealed record ForgottenAgent(long Agents, long Sessions);

/// <summary>A change to a tenant's stored totals (<see cref="Agents"/> and <see cref="Sessions"/>: newly registered ones).</summary>
public sealed record UsageDelta(
    long Vectors = 0,
    long EmbeddingsGenerated = 0,
    long DynamoBytes = 0,
    long S3Bytes = 0,
    long PostgresBytes = 0,
    long Agents = 0,
    long Sessions = 0)
{
    /// <summary>The bytes this delta adds across every store (negative when it frees some).</summary>
    public long StorageBytes => DynamoBytes + S3Bytes + PostgresBytes;

    public UsageDelta Plus(UsageDelta other) => new(
        Vectors + other.Vectors,
        EmbeddingsGenerated + other.EmbeddingsGenerated,
        DynamoBytes + other.DynamoBytes,
        S3Bytes + other.S3Bytes,
        PostgresBytes + other.PostgresBytes,
        Agents + other.Agents,
        Sessions + other.Sessions);

    public UsageDelta Negated() => new(-Vectors, -EmbeddingsGenerated, -DynamoBytes, -S3Bytes, -PostgresBytes, -Agents, -Sessions);

    /// <summary>This delta less another: what is still to record once <paramref name="reserved"/> has been.</summary>
    public UsageDelta Minus(UsageDelta reserved) => new(
        Vectors - reserved.Vectors,
        EmbeddingsGenerated - reserved.EmbeddingsGenerated,
        DynamoBytes - reserved.DynamoBytes,
        S3Bytes - reserved.S3Bytes,
        PostgresBytes - reserved.PostgresBytes,
        Agents - reserved.Agents,
        Sessions - reserved.Sessions);

    public bool IsEmpty => this == new UsageDelta();
}

/// <summary>The caps a reservation must stay within: the tenant's tier, as the API resolves it.</summary>
public sealed record UsageLimits(long StorageBytes, long EmbeddingsPerMonth)
{
    /// <summary>No cap (stores used outside a tenant's request, e.g. tools and tests of the store itself).</summary>
    public static UsageLimits Unlimited { get; } = new(long.MaxValue, long.MaxValue);
}

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
