using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// API keys in the tenants table: a pointer in the tenant's partition, and the by-hash item
/// (<c>KEY#{sha256}</c>) that authenticates. The store has no transactions (dynalite lacks them), so
/// writes are ordered so that a crash between them leaves nothing usable half-made: a key is findable
/// by hash only once it is complete, and a revoked marker is written before anything that depends on it.
/// </summary>
public sealed class ApiKeyStore(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private string Table => options.Value.TenantsTable;

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

    /// <summary>The keys with these hashes that exist, revoked or not, by hash (consistent batch reads, 100 keys a request).</summary>
    public async Task<IReadOnlyDictionary<string, ApiKeyRecord>> FindKeysAsync(IEnumerable<string> keyHashes, CancellationToken cancellationToken)
    {
        var items = await dynamo.BatchGetAllAsync(Table, keyHashes.Select(hash => Key(TenantItems.KeyPk(hash), TenantItems.KeySk)), cancellationToken);
        return items.Select(ToKey).ToDictionary(k => k.KeyHash, StringComparer.Ordinal);
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
        await foreach (var pointer in dynamo.QueryPrefixAsync(Table, TenantItems.TenantPk(tenantId), TenantItems.TenantKeySkPrefix, cancellationToken))
        {
            hashes.Add(pointer.RequireString(A.KeyHash));
        }

        var items = await dynamo.BatchGetAllAsync(Table, hashes.Select(hash => Key(TenantItems.KeyPk(hash), TenantItems.KeySk)), cancellationToken);
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
        if (pointer.Item.GetString(A.KeyHash) is not { } hash)
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

    private static ApiKeyRecord ToKey(Dictionary<string, AttributeValue> item) => new(
        item.RequireString(A.KeyId),
        item.RequireString(A.TenantId),
        item.RequireString(A.KeyHash),
        item.RequireString(A.Prefix),
        item.GetString(A.Name),
        item.RequireTime(A.CreatedAt),
        item.GetNullableTime(A.LastUsedAt),
        item.GetNullableTime(A.RevokedAt));
}
