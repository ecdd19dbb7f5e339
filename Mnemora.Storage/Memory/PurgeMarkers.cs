using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// The purge marker: an item at <c>sk = PURGE</c> in the agent's partition that a purge writes before
/// it deletes anything, renews on every pass and leaves live for <see cref="Hold"/> after it ends. The
/// tiering worker checks it after writing a cold object and after writing that object's index item,
/// and while it is live removes both itself, so a move that raced the purge cannot bring back what the
/// purge deleted (docs/memory-storage.md, "Purge"). It holds timestamps only, no memory; DynamoDB's
/// TTL (attribute <c>ttl</c>) removes it, and the next purge of the agent overwrites it.
/// </summary>
public sealed class PurgeMarkers(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider time)
{
    public const string SortKey = "PURGE";

    /// <summary>How long a marker stays live after its purge's last pass: far longer than a batch move takes (see <see cref="EpisodeMover.MaxPageAge"/>).</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMinutes(15);

    private const string MarkedAt = "marked_at";
    private const string Until = "until";
    private const string Ttl = "ttl";

    private string Table => options.Value.MemoryTable;

    /// <summary>Writes or renews the marker: live from now until <see cref="Hold"/> from now.</summary>
    public Task MarkAsync(string partition, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + Hold;
        return dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Table,
            Key = Key(partition, SortKey),
            UpdateExpression = "SET #marked = :now, #until = :until, #ttl = :ttl",
            ExpressionAttributeNames = new() { ["#marked"] = MarkedAt, ["#until"] = Until, ["#ttl"] = Ttl },
            ExpressionAttributeValues = new()
            {
                [":now"] = S(EpisodePosition.FormatTimestamp(now)),
                [":until"] = S(EpisodePosition.FormatTimestamp(until)),
                [":ttl"] = N(until.ToUnixTimeSeconds()),
            },
        }, cancellationToken);
    }

    /// <summary>True while a purge of the partition runs or ended less than <see cref="Hold"/> ago (one consistent read).</summary>
    public async Task<bool> IsLiveAsync(string partition, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = Key(partition, SortKey),
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } item
            && item.GetString(Until) is { } until
            && string.CompareOrdinal(until, EpisodePosition.FormatTimestamp(time.GetUtcNow())) > 0;
    }
}
