namespace Mnemora.Storage;

/// <summary>Which of a tenant's caps a write would pass.</summary>
public enum StorageLimit
{
    /// <summary>The live vectors of semantic memory.</summary>
    Vectors,

    /// <summary>The bytes stored across every store.</summary>
    Storage,

    /// <summary>The embeddings generated in the current UTC month.</summary>
    EmbeddingsPerMonth,
}

/// <summary>
/// A write refused because it would pass one of the tenant's caps; thrown before anything is
/// written (or before the transaction commits), so nothing of it stays. A store outcome, not an
/// HTTP one: the API maps it to the contract's error envelope in one place.
/// </summary>
public sealed class StorageLimitException(StorageLimit limit, string message) : Exception(message)
{
    public StorageLimit Limit { get; } = limit;
}
