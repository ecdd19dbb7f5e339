using System.ComponentModel.DataAnnotations;

namespace Mnemora.Storage;

/// <summary>Names of the tables and bucket Mnemora owns; bound from <c>Mnemora:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Mnemora:Storage";

    /// <summary>DynamoDB table of tenants, API keys and usage counters.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{3,255}$")]
    public string TenantsTable { get; set; } = "mnemora-tenants";

    /// <summary>DynamoDB table of working memory (state) and hot episodes.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{3,255}$")]
    public string MemoryTable { get; set; } = "mnemora-memory";

    /// <summary>S3 bucket of cold episodes, keyed <c>{tenant}/{agent}/{yyyy-MM-dd}/…</c>.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    public string EpisodesBucket { get; set; } = "mnemora-episodes";

    /// <summary>
    /// The AWS account (12 digits) that must own <see cref="EpisodesBucket"/>. When set, every S3 call
    /// names it (S3 refuses a call on a bucket another account owns) and start-up checks it. Set it in
    /// production: the default bucket name is guessable.
    /// </summary>
    [RegularExpression("^[0-9]{12}$")]
    public string? ExpectedBucketOwner { get; set; }

    /// <summary>
    /// Reserve tenants' storage out of leases held by this process and write the totals once a second
    /// (<c>DynamoUsageMeter</c>), instead of two or three writes of the totals per write. The API sets it; tools
    /// and the tiering worker, which must see their counts in the table at once, leave it off.
    /// </summary>
    public bool LeaseStorage { get; set; }
}
