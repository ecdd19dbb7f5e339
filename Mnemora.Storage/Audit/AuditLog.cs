using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Audit;

/// <summary>One security-relevant event; never memory content, never a key (only a key's id).</summary>
public sealed record AuditEvent(
    string Id,
    DateTime At,
    string? TenantId,
    string Action,
    string Actor,
    string RequestId,
    string Outcome,
    IReadOnlyDictionary<string, string> Details);

/// <summary>A page of events, newest first; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, string? NextCursor);

/// <summary>The actions the log records.</summary>
public static class AuditActions
{
    public const string KeyIssued = "key.issued";
    public const string KeyRevoked = "key.revoked";
    public const string TierChanged = "tenant.tier_changed";
    public const string TenantCreated = "tenant.created";
    public const string TenantDeleted = "tenant.deleted";
    public const string RetentionChanged = "tenant.retention_changed";
    public const string RetentionExpired = "episodes.retention_expired";
    public const string AgentPurged = "agent.purged";
    public const string Exported = "agent.exported";
    public const string Imported = "memory.imported";
    public const string OperatorSignIn = "operator.sign_in";
}

/// <summary>
/// The audit trail in the tenants table. Each event is an item in the tenant's own partition <c>AUDIT#{tenant}</c>
/// (read with one Query, newest first) and a copy in <c>AUDIT</c>, the operator's view across tenants (no Scan).
/// It is append-only by construction: this type only appends (a conditional put that can never overwrite) and
/// reads; nothing else in the code names these partitions, and a tenant's deletion or purge leaves them alone, so
/// the record of what happened to a tenant outlives the tenant.
/// </summary>
public sealed class AuditLog(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider time)
{
    /// <summary>The partition of events that concern no tenant (an operator's sign-in) and of every event's copy.</summary>
    public const string AllPk = "AUDIT";

    public const int MaxPage = 100;

    private string Table => options.Value.TenantsTable;

    public static string TenantPk(string tenantId) => $"AUDIT#{tenantId}";

    /// <summary>Appends an event to the tenant's log (when it concerns one) and to the operator's.</summary>
    public async Task<AuditEvent> AppendAsync(
        string? tenantId, string action, string actor, string requestId, string outcome, IReadOnlyDictionary<string, string>? details, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow().UtcDateTime;
        var entry = new AuditEvent(Guid.CreateVersion7().ToString("N"), at, tenantId, action, actor, requestId, outcome, details ?? new Dictionary<string, string>());
        var sort = $"EVENT#{at.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}#{entry.Id}";
        // Two puts rather than a transaction (the local DynamoDB emulator has none): the tenant's copy first, as it
        // is the one a reviewer of that tenant reads.
        if (tenantId is not null)
        {
            await dynamo.PutItemAsync(Put(TenantPk(tenantId), sort, entry), cancellationToken);
        }

        await dynamo.PutItemAsync(Put(AllPk, sort, entry), cancellationToken);
        return entry;
    }

    /// <summary>A tenant's events (or, with null, every event), newest first.</summary>
    public async Task<AuditPage> ReadAsync(string? tenantId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var partition = tenantId is null ? AllPk : TenantPk(tenantId);
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :events)",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                [":pk"] = S(partition),
                [":events"] = S("EVENT#"),
            },
            ScanIndexForward = false,
            Limit = Math.Clamp(limit, 1, MaxPage),
        };
        if (cursor is not null)
        {
            request.ExclusiveStartKey = Key(partition, ParseCursor(cursor));
        }

        var response = await dynamo.QueryAsync(request, cancellationToken);
        var events = (response.Items ?? []).Select(Read).ToList();
        var next = response.LastEvaluatedKey is { Count: > 0 } last && last.TryGetValue("sk", out var sk) ? FormatCursor(sk.S) : null;
        return new AuditPage(events, next);
    }

    private PutItemRequest Put(string partition, string sort, AuditEvent entry)
    {
        var item = Key(partition, sort);
        item["id"] = S(entry.Id);
        item["at"] = Time(entry.At);
        if (entry.TenantId is not null)
        {
            item["tenant_id"] = S(entry.TenantId);
        }

        item["action"] = S(entry.Action);
        item["actor"] = S(entry.Actor);
        item["request_id"] = S(entry.RequestId);
        item["outcome"] = S(entry.Outcome);
        if (entry.Details.Count > 0)
        {
            item["details"] = new AttributeValue { M = entry.Details.ToDictionary(d => d.Key, d => S(d.Value), StringComparer.Ordinal) };
        }

        // Never overwrites: an event, once written, is as it was.
        return new PutItemRequest { TableName = Table, Item = item, ConditionExpression = "attribute_not_exists(pk)" };
    }

    private static AuditEvent Read(Dictionary<string, AttributeValue> item) => new(
        item.RequireString("id"),
        item.RequireTime("at"),
        item.GetString("tenant_id"),
        item.RequireString("action"),
        item.RequireString("actor"),
        item.RequireString("request_id"),
        item.RequireString("outcome"),
        item.TryGetValue("details", out var details) && details.M is { } map
            ? map.ToDictionary(d => d.Key, d => d.Value.S ?? string.Empty, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal));

    private static string FormatCursor(string sortKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(sortKey));

    private static string ParseCursor(string cursor)
    {
        try
        {
            var sortKey = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (sortKey.StartsWith("EVENT#", StringComparison.Ordinal) && sortKey.Length < 128)
            {
                return sortKey;
            }
        }
        catch (FormatException)
        {
        }

        throw new InvalidAuditCursorException();
    }
}

/// <summary>A cursor that no audit listing issued.</summary>
public sealed class InvalidAuditCursorException() : FormatException("cursor is not one this listing issued.");
