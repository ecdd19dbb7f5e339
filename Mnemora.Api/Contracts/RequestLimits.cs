namespace Mnemora.Api.Contracts;

/// <summary>The contract's size and range limits on requests, in one place for the routes and the import parser.</summary>
public static class RequestLimits
{
    /// <summary>A semantic memory's content, and a search query, in characters.</summary>
    public const int MaxContentCharacters = 100_000;

    /// <summary>A semantic memory's metadata (and a metadata filter), in bytes of JSON.</summary>
    public const int MaxMetadataBytes = 64 * 1024;

    /// <summary>Results of one search.</summary>
    public const int MaxTopK = 100;

    /// <summary>Results of a search that does not say.</summary>
    public const int DefaultTopK = 10;

    /// <summary>The least similarity a search result has when the request does not say.</summary>
    public const double DefaultThreshold = 0.1;

    /// <summary>A state record's time to live.</summary>
    public const int MinTtlHours = 1;

    /// <summary>A state record's time to live: a year.</summary>
    public const int MaxTtlHours = 8760;

    /// <summary>A semantic memory's time to live: ten years.</summary>
    public const int MaxSemanticTtlHours = 87_600;

    /// <summary>Memories one page of a semantic listing holds at most, and when the request does not say.</summary>
    public const int MaxSemanticPage = 100;

    public const int DefaultSemanticPage = 20;

    /// <summary>A tenant's or a key's name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Days of daily usage one request may ask for.</summary>
    public const int MaxUsageDays = 366;
}
