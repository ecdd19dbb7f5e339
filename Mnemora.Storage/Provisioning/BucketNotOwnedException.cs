namespace Mnemora.Storage.Provisioning;

/// <summary>The configured bucket exists but is not this account's: start-up stops rather than write tenants' episodes into it.</summary>
public sealed class BucketNotOwnedException(string bucket, string message) : Exception(message)
{
    public string Bucket { get; } = bucket;
}
