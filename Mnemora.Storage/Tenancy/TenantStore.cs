using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// Tenants in the tenants table: profiles, and the registry partition that lists them without a Scan.
/// Every access names a full partition key; writes that must not race are conditional. A deleted
/// marker is written before anything that depends on it. API keys are <see cref="ApiKeyStore"/>'s,
/// call counters <see cref="CallCounters"/>'.
/// </summary>
public sealed class TenantStore(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private string Table => options.Value.TenantsTable;

    /// <summary>Creates the tenant; false when the id is taken (also by a deleted tenant: ids are never reused).</summary>
    /// <remarks>
    /// The registry entry goes first (writing it again is harmless; one without a profile lists nothing), so a
    /// profile is never left out of the list. The profile's put is conditional; when the SDK sends it again after
    /// a timeout whose first attempt landed, the condition fails on this very write, which is recognised by its
    /// creation time and counted as created, not as a taken id.
    /// </remarks>
    public async Task<bool> CreateTenantAsync(TenantRecord tenant, CancellationToken cancellationToken)
    {
        var entry = Key(TenantItems.RegistryPk, TenantItems.RegistrySk(tenant.TenantId));
        entry[A.TenantId] = S(tenant.TenantId);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = entry }, cancellationToken);

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
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            var existing = await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenant.TenantId), TenantItems.ProfileSk),
                ConsistentRead = true,
            }, cancellationToken);
            return existing.Item is { Count: > 0 } stored
                && !stored.ContainsKey(A.DeletedAt)
                && new[] { A.Name, A.Tier, A.CreatedAt }.All(name => stored.TryGetValue(name, out var value) && value.S == item[name].S);
        }
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

    /// <summary>The tenants with these ids that exist, deleted ones included, by id (consistent batch reads).</summary>
    public async Task<IReadOnlyDictionary<string, TenantRecord>> GetTenantsAsync(IEnumerable<string> tenantIds, CancellationToken cancellationToken)
    {
        var profiles = await dynamo.BatchGetAllAsync(Table, tenantIds.Distinct(StringComparer.Ordinal).Select(id => Key(TenantItems.TenantPk(id), TenantItems.ProfileSk)), cancellationToken);
        return profiles.Select(ToTenant).ToDictionary(t => t.TenantId, StringComparer.Ordinal);
    }

    /// <summary>Every tenant, deleted ones included, ordered by id.</summary>
    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var item in dynamo.QueryPrefixAsync(Table, TenantItems.RegistryPk, "TENANT#", cancellationToken))
        {
            ids.Add(item.RequireString(A.TenantId));
        }

        var profiles = await dynamo.BatchGetAllAsync(Table, ids.Select(id => Key(TenantItems.TenantPk(id), TenantItems.ProfileSk)), cancellationToken);
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

    private static TenantRecord ToTenant(Dictionary<string, AttributeValue> item) => new(
        item.RequireString(A.TenantId),
        item.RequireString(A.Name),
        item.RequireString(A.Tier),
        item.RequireTime(A.CreatedAt),
        item.GetNullableTime(A.DeletedAt),
        item.TryGetValue(A.RetentionDays, out var days) && days.N is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : null);

    /// <summary>Sets (or, with null, removes) how many days the tenant's episodes are kept; null when there is no live tenant.</summary>
    public async Task<TenantRecord?> SetRetentionAsync(string tenantId, int? days, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(TenantItems.TenantPk(tenantId), TenantItems.ProfileSk),
                UpdateExpression = days is null ? $"REMOVE {A.RetentionDays}" : $"SET {A.RetentionDays} = :days",
                ConditionExpression = "attribute_exists(pk) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeValues = days is { } value ? new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":days"] = N(value) } : null,
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken);
            return ToTenant(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }
}
