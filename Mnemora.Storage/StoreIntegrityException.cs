namespace Mnemora.Storage;

/// <summary>
/// A store answered with data that fails its own integrity check (a cold object whose SHA-256 is not
/// the one written). A store fault, never an answer: the caller gets no data, and a retry may succeed
/// once the object is repaired. The message names the object, never its content.
/// </summary>
public sealed class StoreIntegrityException(string store, string objectKey, string message) : Exception(message)
{
    /// <summary>The store that holds the object (<c>s3</c>).</summary>
    public string Store { get; } = store;

    /// <summary>The object's key; internal, never sent to a client.</summary>
    public string ObjectKey { get; } = objectKey;
}
