using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Tenancy.DynamoItem;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// Tenants, their API keys and their call counters in the tenants table. Every access names a
/// full partition key; writes that must not race are conditional. The store has no transactions
/// (dynalite lacks them), so multi-item writes are ordered so that a crash between them leaves
/// nothing usable half-made: a key is findable by hash only once it is complete, and a revoked or
/// deleted marker is written before anything that depends on it.
/// </summary>
public sealed class TenantStore(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private static readonly AttributeValue s_one = N(1);

    private string Table => options.Value.TenantsTable;

    /// <summary>Creates the tenant; false when the id is taken (also by a deleted tenant: ids are never reused).</summary>
    public async Task<bool> CreateTenantAsync(TenantRecord tenant, CancellationToken cancellationToken)
    {
        var item = Key(TenantItems.TenantPk(tenant.TenantId), TenantItems.ProfileSk);
        item[A.TenantId] = S(tenant.TenantId);
        item[A.Name] = S(tenant.Name);
        item[A.Tier] = S(tenant.Tier);
        item[A.CreatedAt] = Time(tenant.CreatedAt);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = Table,
                Item = item,
                ConditionExpression = "attribute_not_exists(pk)",
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }

        var entry = Key(TenantItems.RegistryPk, TenantItems.RegistrySk(tenant.TenantId));
        entry[A.TenantId] = S(tenant.TenantId);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = entry }, cancellationToken);
        return true;
    }

    public async Task<TenantRecord?> GetTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = Key(TenantItems.TenantPk(tenantId), TenantItems.ProfileSk),
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } item ? ToTenant(item) : null;
    }

    /// <summary>Every tenant, deleted ones included, ordered by id.</summary>
    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var item in QueryAsync(TenantItems.RegistryPk, "TENANT#", cancellationToken))
        {
            ids.Add(RequiredString(item, A.TenantId));
        }

        var profiles = await BatchGetAsync(ids.Select(id => Key(TenantItems.TenantPk(id), TenantItems.ProfileSk)), cancellationToken);
        return [.. profiles.Select(ToTenant).OrderBy(t => t.TenantId, StringComparer.Ordinal)];
    }

    /// <summary>Changes the name and/or tier of a live tenant; null when it does not exist or is deleted.</summary>
    public async Task<TenantRecord?> UpdateTenantAsync(string tenantId, string? name, string? tier, CancellationToken cancellationToken)
    {
        var sets = new List<string>();
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        if (name is not null)
        {
            sets.Add("#name = :name");
            values[":name"] = S(name);
        }

        if (tier is not null)
        {
            sets.Add("tier = :tier");
            values[":tier"] = S(tier);
        }

        if (sets.Count == 0)
        {
            return await GetTenantAsync(tenantId, cancellationToken) is { IsDeleted: false } unchanged ? unchanged : null;
        }

        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenantId), TenantItems.ProfileSk),
                UpdateExpression = "SET " + string.Join(", ", sets),
                ConditionExpression = "attribute_exists(pk) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeNames = name is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["#name"] = A.Name },
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken);
            return ToTenant(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    /// <summary>Marks the tenant deleted (keeping the first deletion time); null when it does not exist.</summary>
    public async Task<TenantRecord?> MarkDeletedAsync(string tenantId, DateTime at, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenantId), TenantItems.ProfileSk),
                UpdateExpression = "SET deleted_at = if_not_exists(deleted_at, :at)",
                ConditionExpression = "attribute_exists(pk)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":at"] = Time(at) },
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken);
            return ToTenant(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    /// <summary>Stores a new key: first its place in the tenant's list, then the by-hash item that makes it usable.</summary>
    public async Task AddKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        var pointer = Key(TenantItems.TenantPk(key.TenantId), TenantItems.TenantKeySk(key.KeyId));
        pointer[A.KeyId] = S(key.KeyId);
        pointer[A.KeyHash] = S(key.KeyHash);
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = Table,
            Item = pointer,
            ConditionExpression = "attribute_not_exists(pk)",
        }, cancellationToken);

        var item = Key(TenantItems.KeyPk(key.KeyHash), TenantItems.KeySk);
        item[A.KeyId] = S(key.KeyId);
        item[A.TenantId] = S(key.TenantId);
        item[A.KeyHash] = S(key.KeyHash);
        item[A.Prefix] = S(key.Prefix);
        item[A.CreatedAt] = Time(key.CreatedAt);
        if (key.Name is not null)
        {
            item[A.Name] = S(key.Name);
        }

        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = Table,
            Item = item,
            ConditionExpression = "attribute_not_exists(pk)",
        }, cancellationToken);
    }

    /// <summary>The key with this hash, revoked or not; null when there is none.</summary>
    public async Task<ApiKeyRecord?> FindKeyAsync(string keyHash, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = Key(TenantItems.KeyPk(keyHash), TenantItems.KeySk),
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } item ? ToKey(item) : null;
    }

    /// <summary>Records when a key was last used (callers throttle this; it is not needed per request).</summary>
    public Task TouchKeyAsync(string keyHash, DateTime at, CancellationToken cancellationToken) =>
        dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Table,
            Key = Key(TenantItems.KeyPk(keyHash), TenantItems.KeySk),
            UpdateExpression = "SET last_used_at = :at",
            ConditionExpression = "attribute_exists(pk)",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":at"] = Time(at) },
        }, cancellationToken);

    /// <summary>The tenant's keys, revoked ones included, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string tenantId, CancellationToken cancellationToken)
    {
        var hashes = new List<string>();
        await foreach (var pointer in QueryAsync(TenantItems.TenantPk(tenantId), TenantItems.TenantKeySkPrefix, cancellationToken))
        {
            hashes.Add(RequiredString(pointer, A.KeyHash));
        }

        var items = await BatchGetAsync(hashes.Select(hash => Key(TenantItems.KeyPk(hash), TenantItems.KeySk)), cancellationToken);
        return [.. items.Select(ToKey).OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal)];
    }

    /// <summary>Revokes one of the tenant's keys (idempotently); false when the tenant has no such key.</summary>
    public async Task<bool> RevokeKeyAsync(string tenantId, string keyId, DateTime at, CancellationToken cancellationToken)
    {
        var pointer = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Table,
            Key = Key(TenantItems.TenantPk(tenantId), TenantItems.TenantKeySk(keyId)),
            ConsistentRead = true,
        }, cancellationToken);
        if (String(pointer.Item, A.KeyHash) is not { } hash)
        {
            return false;
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.KeyPk(hash), TenantItems.KeySk),
                UpdateExpression = "SET revoked_at = if_not_exists(revoked_at, :at)",
                ConditionExpression = "attribute_exists(pk) AND tenant_id = :tenant",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":at"] = Time(at),
                    [":tenant"] = S(tenantId),
                },
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            // The pointer was written but its key never was (a crash while issuing): nothing to revoke.
            return false;
        }
    }

    /// <summary>Revokes every key of the tenant; returns how many were live.</summary>
    public async Task<int> RevokeAllKeysAsync(string tenantId, DateTime at, CancellationToken cancellationToken)
    {
        var revoked = 0;
        foreach (var key in await ListKeysAsync(tenantId, cancellationToken))
        {
            if (!key.IsRevoked && await RevokeKeyAsync(tenantId, key.KeyId, at, cancellationToken))
            {
                revoked++;
            }
        }

        return revoked;
    }

    /// <summary>
    /// Counts <paramref name="calls"/> calls against the day's limit at once, atomically: the
    /// conditional ADD succeeds only while that many are left, so concurrent callers can never take
    /// more than the limit. Refused calls are not counted. This is the only write a call costs (and
    /// only one per lease of calls, see the API's <c>CallLeases</c>): the month's count is the sum of
    /// its day items, added up when read (<see cref="GetCallsAsync"/>).
    /// </summary>
    public async Task<CallCount> TryCountCallsAsync(string tenantId, DateTimeOffset now, long dailyLimit, int calls, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        var pk = TenantItems.TenantPk(tenantId);
        UpdateItemResponse day;
        try
        {
            day = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(pk, TenantItems.DaySk(now)),
                UpdateExpression = "ADD calls :calls",
                ConditionExpression = "attribute_not_exists(calls) OR calls <= :most",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":calls"] = N(calls),
                    [":most"] = N(dailyLimit - calls),
                },
                ReturnValues = ReturnValue.UPDATED_NEW,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            return new CallCount(false, dailyLimit);
        }

        return new CallCount(true, Long(day.Attributes, A.Calls));
    }

    /// <summary>Gives back calls counted but not made (an unused lease) to the day of <paramref name="day"/>.</summary>
    public async Task ReturnCallsAsync(string tenantId, DateTimeOffset day, int calls, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenantId), TenantItems.DaySk(day)),
                UpdateExpression = "ADD calls :back",
                ConditionExpression = "calls >= :calls",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":back"] = N(-calls),
                    [":calls"] = N(calls),
                },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // The day's item is gone (the tenant was deleted): nothing to give back to.
        }
    }

    /// <summary>Calls counted on the day and in the month of <paramref name="now"/>.</summary>
    public async Task<CallTotals> GetCallsAsync(string tenantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(tenantId);
        var today = TenantItems.DaySk(now);
        long day = 0, month = 0;
        await foreach (var item in QueryAsync(pk, TenantItems.MonthDaysSkPrefix(now), cancellationToken))
        {
            var calls = Long(item, A.Calls);
            month += calls;
            if (string.Equals(RequiredString(item, Aws.DynamoTables.SortKey), today, StringComparison.Ordinal))
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
        var items = await BatchGetAsync(tenantIds.Select(id => Key(TenantItems.TenantPk(id), daySk)), cancellationToken);
        var prefix = TenantItems.TenantPk(string.Empty);
        return items.ToDictionary(item => RequiredString(item, Aws.DynamoTables.PartitionKey)[prefix.Length..], item => Long(item, A.Calls), StringComparer.Ordinal);
    }

    private async Task<Dictionary<string, AttributeValue>?> GetAsync(string pk, string sk, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = Key(pk, sk), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    private async IAsyncEnumerable<Dictionary<string, AttributeValue>> QueryAsync(
        string pk,
        string skPrefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = Table,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":pk"] = S(pk),
                    [":prefix"] = S(skPrefix),
                },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                yield return item;
            }

            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    /// <summary>BatchGetItem in chunks of 100 keys, retrying what the store leaves unprocessed.</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> BatchGetAsync(IEnumerable<Dictionary<string, AttributeValue>> keys, CancellationToken cancellationToken)
    {
        var found = new List<Dictionary<string, AttributeValue>>();
        foreach (var chunk in keys.Chunk(100))
        {
            var pending = new List<Dictionary<string, AttributeValue>>(chunk);
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 500)), cancellationToken);
                }

                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new Dictionary<string, KeysAndAttributes>(StringComparer.Ordinal)
                    {
                        [Table] = new KeysAndAttributes { Keys = pending, ConsistentRead = true },
                    },
                }, cancellationToken);
                if (response.Responses is not null && response.Responses.TryGetValue(Table, out var items))
                {
                    found.AddRange(items);
                }

                pending = response.UnprocessedKeys is not null && response.UnprocessedKeys.TryGetValue(Table, out var left) && left.Keys is { } rest
                    ? rest
                    : [];
            }
        }

        return found;
    }

    private static TenantRecord ToTenant(Dictionary<string, AttributeValue> item) => new(
        RequiredString(item, A.TenantId),
        RequiredString(item, A.Name),
        RequiredString(item, A.Tier),
        Time(item, A.CreatedAt),
        NullableTime(item, A.DeletedAt));

    private static ApiKeyRecord ToKey(Dictionary<string, AttributeValue> item) => new(
        RequiredString(item, A.KeyId),
        RequiredString(item, A.TenantId),
        RequiredString(item, A.KeyHash),
        RequiredString(item, A.Prefix),
        String(item, A.Name),
        Time(item, A.CreatedAt),
        NullableTime(item, A.LastUsedAt),
        NullableTime(item, A.RevokedAt));
}
