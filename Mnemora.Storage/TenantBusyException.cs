namespace Mnemora.Storage;

/// <summary>
/// A call refused because its tenant already uses its whole share of a resource every tenant shares (PostgreSQL
/// connections, the embedding queue), so one tenant's burst waits on itself rather than on everyone. Thrown before
/// any work began, so nothing of the call stays; the API answers 429 with <see cref="RetryAfter"/>.
/// </summary>
public sealed class TenantBusyException(string resource, TimeSpan retryAfter, string message) : Exception(message)
{
    /// <summary>What the tenant's share ran out of: <c>postgres</c>, <c>embeddings</c> or <c>imports</c>.</summary>
    public string Resource { get; } = resource;

    public TimeSpan RetryAfter { get; } = retryAfter;
}
