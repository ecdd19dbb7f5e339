using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// Working memory: one item per (tenant, agent, session) at <c>pk = {tenant}#{agent}</c>,
/// <c>sk = STATE#{session}</c>. Versions are kept by the store itself (an atomic <c>ADD</c> and
/// conditional writes), never by read-then-write. A record past <c>expires_at</c> is treated as
/// absent even before DynamoDB's TTL sweep removes it (the <c>ttl</c> attribute, epoch seconds).
/// </summary>
public sealed partial class StateStore(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, IUsageMeter usage, TimeProvider time)
{
    /// <summary>The contract's limit on serialised <c>data</c>: 400 KB, which leaves the item under DynamoDB's 400 KiB with its other attributes.</summary>
    public const int MaxDataBytes = 400_000;

    private const string Data = "data";
    private const string Version = "version";
    private const string CreatedAt = "created_at";
    private const string UpdatedAt = "updated_at";
    private const string ExpiresAt = "expires_at";
    private const string Ttl = "ttl";
    private const string AgentId = "agent_id";
    private const string SessionId = "session_id";

    private string Table => options.Value.MemoryTable;

    public async Task<StateRecord?> GetAsync(string tenantId, string agentId, string sessionId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = Key(MemoryKeys.Partition(tenantId, agentId), MemoryKeys.State(sessionId)),
            ConsistentRead = true,
        }, cancellationToken);

        var now = Now();
        return response.Item is { Count: > 0 } item && IsLive(item, now) ? ToRecord(agentId, sessionId, item) : null;
    }

    /// <summary>The agent's live sessions, from one Query on its partition (never a Scan).</summary>
    public async Task<IReadOnlyList<string>> ListSessionsAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var now = Now();
        var sessions = new List<string>();
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(MemoryKeys.Partition(tenantId, agentId)),
                [":prefix"] = S(MemoryKeys.StatePrefix),
            },
            ProjectionExpression = "sk, expires_at",
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                if (IsLive(item, now))
                {
                    sessions.Add(item.RequireString("sk")[MemoryKeys.StatePrefix.Length..]);
                }
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        return sessions;
    }

    /// <summary>
    /// Creates the record (version 1) or overwrites it (previous version + 1) in one atomic update. The bytes it
    /// adds are reserved within <paramref name="limits"/> first (<see cref="StorageLimitException"/> leaves nothing).
    /// </summary>
    public async Task<StateRecord> UpsertAsync(string tenantId, string agentId, string sessionId, string dataJson, TimeSpan? ttl, UsageLimits limits, CancellationToken cancellationToken)
    {
        RequireSize(dataJson);
        var partition = MemoryKeys.Partition(tenantId, agentId);
        var sort = MemoryKeys.State(sessionId);
        var reserved = await ReserveAsync(tenantId, partition, sort, EstimateSize(partition, sort, agentId, sessionId, dataJson, ttl), limits, cancellationToken);
        try
        {
            return await UpsertReservedAsync(tenantId, partition, sort, agentId, sessionId, dataJson, ttl, reserved, cancellationToken);
        }
        catch
        {
            await ReleaseAsync(tenantId, reserved);
            throw;
        }
    }

    private async Task<StateRecord> UpsertReservedAsync(
        string tenantId, string partition, string sort, string agentId, string sessionId, string dataJson, TimeSpan? ttl, long reserved, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = Now();
            var expiresAt = ExpiryFrom(now, ttl);
            var values = new Dictionary<string, AttributeValue>
            {
                [":data"] = S(dataJson),
                [":now"] = S(now),
                [":agent"] = S(agentId),
                [":session"] = S(sessionId),
                [":one"] = N(1),
            };
            var set = "SET #data = :data, updated_at = :now, created_at = if_not_exists(created_at, :now), agent_id = :agent, session_id = :session";
            var remove = "";
            if (expiresAt is { } expiry)
            {
                set += ", expires_at = :expires, #ttl = :ttl";
                values[":expires"] = S(expiry.Text);
                values[":ttl"] = N(expiry.EpochSeconds);
            }
            else
            {
                remove = " REMOVE expires_at, #ttl";
            }

            try
            {
                // Overwrite only a live record (or none): an expired one restarts at version 1 below.
                var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = Table,
                    Key = Key(partition, sort),
                    UpdateExpression = set + remove + " ADD version :one",
                    ConditionExpression = "attribute_not_exists(expires_at) OR expires_at > :now",
                    ExpressionAttributeNames = new() { ["#data"] = Data, ["#ttl"] = Ttl },
                    ExpressionAttributeValues = values,
                    ReturnValues = ReturnValue.ALL_OLD,
                }, cancellationToken);

                var old = response.Attributes is { Count: > 0 } attributes ? attributes : null;
                var record = new StateRecord(agentId, sessionId, dataJson,
                    (old?.GetLong(Version) ?? 0) + 1,
                    old?.GetString(CreatedAt) ?? now,
                    now,
                    expiresAt?.Text);
                await RecordSizeChangeAsync(tenantId, old, partition, sort, record, reserved, cancellationToken);
                if (old is null)
                {
                    await usage.TrackAgentAsync(tenantId, agentId, sessionId, cancellationToken);
                }

                return record;
            }
            catch (ConditionalCheckFailedException) when (attempt < 3)
            {
                if (await ReplaceExpiredAsync(tenantId, partition, sort, agentId, sessionId, dataJson, now, expiresAt, reserved, cancellationToken) is { } created)
                {
                    return created;
                }

                // Someone revived the record between the two writes: overwrite it as a live one.
            }
        }
    }

    /// <summary>
    /// Replaces the record when <paramref name="expectedVersion"/> is current; otherwise says whether it is missing or newer.
    /// The bytes it adds are reserved within <paramref name="limits"/> first.
    /// </summary>
    public async Task<StateUpdateResult> UpdateAsync(string tenantId, string agentId, string sessionId, string dataJson, long expectedVersion, TimeSpan? ttl, UsageLimits limits, CancellationToken cancellationToken)
    {
        RequireSize(dataJson);
        var partition = MemoryKeys.Partition(tenantId, agentId);
        var sort = MemoryKeys.State(sessionId);
        var reserved = await ReserveAsync(tenantId, partition, sort, EstimateSize(partition, sort, agentId, sessionId, dataJson, ttl), limits, cancellationToken);
        try
        {
            var result = await UpdateReservedAsync(tenantId, agentId, sessionId, dataJson, expectedVersion, ttl, partition, sort, reserved, cancellationToken);
            if (result.Outcome != StateUpdateOutcome.Updated)
            {
                await ReleaseAsync(tenantId, reserved);
            }

            return result;
        }
        catch
        {
            await ReleaseAsync(tenantId, reserved);
            throw;
        }
    }

    private async Task<StateUpdateResult> UpdateReservedAsync(
        string tenantId, string agentId, string sessionId, string dataJson, long expectedVersion, TimeSpan? ttl, string partition, string sort, long reserved, CancellationToken cancellationToken)
    {
        var now = Now();
        var expiresAt = ExpiryFrom(now, ttl);
        var values = new Dictionary<string, AttributeValue>
        {
            [":data"] = S(dataJson),
            [":now"] = S(now),
            [":one"] = N(1),
            [":expected"] = N(expectedVersion),
        };
        var set = "SET #data = :data, updated_at = :now";
        if (expiresAt is { } expiry)
        {
            set += ", expires_at = :expires, #ttl = :ttl";
            values[":expires"] = S(expiry.Text);
            values[":ttl"] = N(expiry.EpochSeconds);
        }

        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(partition, sort),
                UpdateExpression = set + " ADD version :one",
                ConditionExpression = "attribute_exists(pk) AND version = :expected AND (attribute_not_exists(expires_at) OR expires_at > :now)",
                ExpressionAttributeNames = expiresAt is null ? new() { ["#data"] = Data } : new() { ["#data"] = Data, ["#ttl"] = Ttl },
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_OLD,
            }, cancellationToken);

            var old = response.Attributes;
            var record = new StateRecord(agentId, sessionId, dataJson, expectedVersion + 1,
                old.RequireString(CreatedAt), now, expiresAt?.Text ?? old.GetString(ExpiresAt));
            await RecordSizeChangeAsync(tenantId, old, partition, sort, record, reserved, cancellationToken);
            return new StateUpdateResult(StateUpdateOutcome.Updated, record);
        }
        catch (ConditionalCheckFailedException)
        {
            // Which condition failed decides the status; a record deleted meanwhile is simply missing.
            var current = await GetAsync(tenantId, agentId, sessionId, cancellationToken);
            return new StateUpdateResult(current is null ? StateUpdateOutcome.NotFound : StateUpdateOutcome.VersionConflict, null);
        }
    }

    /// <summary>Deletes the record; false when there was no live one (an expired one is removed all the same).</summary>
    public async Task<bool> DeleteAsync(string tenantId, string agentId, string sessionId, CancellationToken cancellationToken)
    {
        var response = await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = Table,
            Key = Key(MemoryKeys.Partition(tenantId, agentId), MemoryKeys.State(sessionId)),
            ReturnValues = ReturnValue.ALL_OLD,
        }, cancellationToken);

        if (response.Attributes is not { Count: > 0 } old)
        {
            return false;
        }

        await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -ItemSize.Of(old)), cancellationToken);
        return IsLive(old, Now());
    }

    private async Task<StateRecord?> ReplaceExpiredAsync(string tenantId, string partition, string sort, string agentId, string sessionId, string dataJson, string now, Expiry? expiresAt, long reserved, CancellationToken cancellationToken)
    {
        var record = new StateRecord(agentId, sessionId, dataJson, 1, now, now, expiresAt?.Text);
        var item = ToItem(partition, sort, record, expiresAt);
        try
        {
            var response = await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = Table,
                Item = item,
                ConditionExpression = "expires_at <= :now",
                ExpressionAttributeValues = new() { [":now"] = S(now) },
                ReturnValues = ReturnValue.ALL_OLD,
            }, cancellationToken);
            await RecordRestAsync(tenantId, ItemSize.Of(item) - ItemSize.Of(response.Attributes), reserved, cancellationToken);
            return record;
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    private Task RecordSizeChangeAsync(string tenantId, Dictionary<string, AttributeValue>? old, string partition, string sort, StateRecord record, long reserved, CancellationToken cancellationToken)
    {
        // The item's real ttl, so that the size counted equals the size a purge later uncounts.
        var expiry = record.ExpiresAt is { } text ? new Expiry(text, EpisodePosition.ParseTimestamp(text).ToUnixTimeSeconds()) : (Expiry?)null;
        return RecordRestAsync(tenantId, ItemSize.Of(ToItem(partition, sort, record, expiry)) - ItemSize.Of(old), reserved, cancellationToken);
    }

    /// <summary>The size change the write made, less what was reserved for it (already counted).</summary>
    private Task RecordRestAsync(string tenantId, long delta, long reserved, CancellationToken cancellationToken) =>
        delta == reserved ? Task.CompletedTask : usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: delta - reserved), cancellationToken);

    /// <summary>
    /// Reserves the new item's whole size: one conditional update, and a creation's exact cost. At the limit, an
    /// overwrite needs only what it adds to the record it replaces (read now; a concurrent change of that record
    /// is what can pass the limit, by at most that one item).
    /// </summary>
    private async Task<long> ReserveAsync(string tenantId, string partition, string sort, long newBytes, UsageLimits limits, CancellationToken cancellationToken)
    {
        try
        {
            await usage.ReserveAsync(tenantId, new UsageDelta(DynamoBytes: newBytes), limits, cancellationToken);
            return newBytes;
        }
        catch (StorageLimitException)
        {
            var current = await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = Key(partition, sort), ConsistentRead = true }, cancellationToken);
            if (current.Item is not { Count: > 0 } old)
            {
                throw;
            }

            var growth = newBytes - ItemSize.Of(old);
            if (growth > 0)
            {
                await usage.ReserveAsync(tenantId, new UsageDelta(DynamoBytes: growth), limits, cancellationToken);
                return growth;
            }

            return 0;
        }
    }

    // Given back even when the request was cancelled: the reservation must not outlive the write it was for.
    private Task ReleaseAsync(string tenantId, long reserved) =>
        reserved == 0 ? Task.CompletedTask : usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -reserved), CancellationToken.None);

    /// <summary>The size of the item a write of this data makes (its version and times at their usual width).</summary>
    private long EstimateSize(string partition, string sort, string agentId, string sessionId, string dataJson, TimeSpan? ttl)
    {
        var now = Now();
        var record = new StateRecord(agentId, sessionId, dataJson, 1, now, now, ExpiryFrom(now, ttl)?.Text);
        return ItemSize.Of(ToItem(partition, sort, record, ExpiryFrom(now, ttl)));
    }

    private static Dictionary<string, AttributeValue> ToItem(string partition, string sort, StateRecord record, Expiry? expiry)
    {
        var item = Key(partition, sort);
        item[Data] = S(record.DataJson);
        item[Version] = N(record.Version);
        item[CreatedAt] = S(record.CreatedAt);
        item[UpdatedAt] = S(record.UpdatedAt);
        item[AgentId] = S(record.AgentId);
        item[SessionId] = S(record.SessionId);
        if (expiry is { } e)
        {
            item[ExpiresAt] = S(e.Text);
            item[Ttl] = N(e.EpochSeconds);
        }

        return item;
    }

    private static StateRecord ToRecord(string agentId, string sessionId, Dictionary<string, AttributeValue> item) => new(
        agentId,
        sessionId,
        item.RequireString(Data),
        item.GetLong(Version),
        item.RequireString(CreatedAt),
        item.RequireString(UpdatedAt),
        item.GetString(ExpiresAt));

    private static bool IsLive(Dictionary<string, AttributeValue> item, string now) =>
        item.GetString(ExpiresAt) is not { } expires || string.CompareOrdinal(expires, now) > 0;

    private string Now() => EpisodePosition.FormatTimestamp(time.GetUtcNow());

    private static Expiry? ExpiryFrom(string now, TimeSpan? ttl)
    {
        if (ttl is not { } span)
        {
            return null;
        }

        var at = EpisodePosition.ParseTimestamp(now) + span;
        return new Expiry(EpisodePosition.FormatTimestamp(at), at.ToUnixTimeSeconds());
    }

    private static void RequireSize(string dataJson)
    {
        if (Encoding.UTF8.GetByteCount(dataJson) > MaxDataBytes)
        {
            throw new ArgumentException($"State data is limited to {MaxDataBytes} bytes; check the size before storing.", nameof(dataJson));
        }
    }

    private readonly record struct Expiry(string Text, long EpochSeconds);
}
