using System.ComponentModel.DataAnnotations;

namespace Mnemora.Storage;

/// <summary>
/// How long one call may wait on DynamoDB or S3, the whole answer included; bound from <c>Mnemora:Stores</c>.
/// A store that accepts connections but never answers (or stops in the middle of an answer) costs a request at most <c>timeout × </c><see cref="Attempts"/> (plus the
/// SDK's short back-off) before it is a 503; PostgreSQL's limits are <c>Mnemora:Postgres</c>'s.
/// </summary>
public sealed class StoreTimeoutOptions
{
    public const string SectionName = "Mnemora:Stores";

    /// <summary>Tries of one store call: the first and one retry, so a lost packet is not a 503 but a silent store is soon one.</summary>
    public const int Attempts = 2;

    /// <summary>One DynamoDB attempt (single items: milliseconds when the store is well).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan DynamoDbTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>One S3 attempt (cold batches of up to 8 MB).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan S3Timeout { get; set; } = TimeSpan.FromSeconds(2);
}
