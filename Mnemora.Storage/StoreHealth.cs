namespace Mnemora.Storage;

/// <summary>Conventions shared by the stores' health checks.</summary>
public static class StoreHealth
{
    /// <summary>Tag of the checks that <c>/v1/health</c> reports, one per store.</summary>
    public const string Tag = "store";

    /// <summary>A check slower than this reports the store as down.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
}
