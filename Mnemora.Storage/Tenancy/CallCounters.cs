using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// A tenant's call counters in the tenants table: one item per UTC day in the tenant's partition,
/// counted by conditional ADDs so that concurrent callers never pass the daily limit.
/// </summary>
public sealed class CallCounters(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private string Table => options.Value.TenantsTable;

    /// <summary>
    /// Counts <paramref name="calls"/> calls against the day's limit at once, atomically: the
    /// conditional ADD succeeds only while that many are left, so concurrent callers can never take
    /// more than the limit. Refused calls are not counted. This is the only write a call costs (and
    /// only one per lease of calls, see the API's <c>CallLeases</c>): the month's count is the sum of
    /// its day items, added up when read (<see cref="GetCallsAsync"/>).
    /// </summary>
    /// <remarks>
    /// An ADD is not idempotent, and the SDK sends a write again when an attempt times out, though the
    /// first may have landed. Each write therefore carries its own id (<c>last_write</c>) and is refused
    /// when it finds that id already there; a refusal whose id is in the item is this write's earlier
    /// attempt, counted once. The id is only the last one written: another write to the same day between
    /// the two attempts (another replica's) hides it, and the calls are refused while counted, so a
    /// tenant can lose that lease's calls, never gain any.
    /// </remarks>
    public async Task<CallCount> TryCountCallsAsync(string tenantId, DateTimeOffset now, long dailyLimit, int calls, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        var key = Key(TenantItems.TenantPk(tenantId), TenantItems.DaySk(now));
        var write = NewWriteId();
        UpdateItemResponse day;
        try
        {
            day = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = key,
                UpdateExpression = "ADD calls :calls SET last_write = :write",
                ConditionExpression = "(attribute_not_exists(calls) OR calls <= :most) AND (attribute_not_exists(last_write) OR last_write <> :write)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":calls"] = N(calls),
                    [":most"] = N(dailyLimit - calls),
                    [":write"] = S(write),
                },
                ReturnValues = ReturnValue.UPDATED_NEW,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = key, ConsistentRead = true }, cancellationToken)).Item;
            return item is { Count: > 0 } && item.TryGetValue(A.LastWrite, out var last) && last.S == write
                ? new CallCount(true, item.GetLong(A.Calls))
                : new CallCount(false, dailyLimit);
        }

        return new CallCount(true, day.Attributes.GetLong(A.Calls));
    }

    /// <summary>Gives back calls counted but not made (an unused lease) to the day of <paramref name="day"/>; sent twice, it gives back once.</summary>
    public async Task ReturnCallsAsync(string tenantId, DateTimeOffset day, int calls, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenantId), TenantItems.DaySk(day)),
                UpdateExpression = "ADD calls :back SET last_write = :write",
                ConditionExpression = "calls >= :calls AND (attribute_not_exists(last_write) OR last_write <> :write)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":back"] = N(-calls),
                    [":calls"] = N(calls),
                    [":write"] = S(NewWriteId()),
                },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // The day's item is gone (the tenant was deleted), or an earlier attempt of this write landed.
        }
    }

    /// <summary>An id for one counter write, shared by the SDK's attempts of it (96 random bits).</summary>
    private static string NewWriteId() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    /// <summary>Calls counted on the day and in the month of <paramref name="now"/>.</summary>
    public async Task<CallTotals> GetCallsAsync(string tenantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(tenantId);
        var today = TenantItems.DaySk(now);
        long day = 0, month = 0;
        await foreach (var item in dynamo.QueryPrefixAsync(Table, pk, TenantItems.MonthDaysSkPrefix(now), cancellationToken))
        {
            var calls = item.GetLong(A.Calls);
            month += calls;
            if (string.Equals(item.RequireString(Aws.DynamoTables.SortKey), today, StringComparison.Ordinal))
            {
                day = calls;
            }
        }

        return new CallTotals(day, month);
    }

    /// <summary>Today's calls of each tenant, in one batched read.</summary>
    public async Task<IReadOnlyDictionary<string, long>> GetCallsTodayAsync(IEnumerable<string> tenantIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var daySk = TenantItems.DaySk(now);
        var items = await dynamo.BatchGetAllAsync(Table, tenantIds.Select(id => Key(TenantItems.TenantPk(id), daySk)), cancellationToken);
        var prefix = TenantItems.TenantPk(string.Empty);
        return items.ToDictionary(item => item.RequireString(Aws.DynamoTables.PartitionKey)[prefix.Length..], item => item.GetLong(A.Calls), StringComparer.Ordinal);
    }
}
