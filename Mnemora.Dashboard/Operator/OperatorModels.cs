using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnemora.Dashboard.Operator;

// Wire records of the API's operator routes (snake_case on the wire, see api-contract.md "Operator API").

public sealed record TenantSummary(string TenantId, string Name, string Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt, long ApiCallsToday, long DailyLimit)
{
    public bool IsDeleted => DeletedAt is not null;
}

public sealed record TenantList(IReadOnlyList<TenantSummary> Tenants);

public sealed record Tenant(string TenantId, string Name, string Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt);

public sealed record StorageUsage(long DynamoBytes, long S3Bytes, long PostgresBytes);

public sealed record TenantUsage(
    long ApiCallsToday,
    long DailyLimit,
    long ApiCallsMonth,
    long EmbeddingsGeneratedMonth,
    long VectorsStored,
    long StorageBytes,
    StorageUsage Storage,
    long AgentsCount,
    long SessionsCount,
    string BillingPeriod,
    string Tier);

public sealed record TenantDetails(string TenantId, string Name, string Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt, TenantUsage Usage)
{
    public bool IsDeleted => DeletedAt is not null;
}

public sealed record PurgeCounts(long State, long Semantic, long Episodic, long S3Objects)
{
    public long Total => State + Semantic + Episodic + S3Objects;
}

public sealed record TenantDeleted(string TenantId, int KeysRevoked, PurgeCounts Deleted);

public sealed record IssuedKey(string KeyId, string ApiKey, string Prefix, string? Name, DateTimeOffset CreatedAt);

public sealed record ApiKeyInfo(string KeyId, string Prefix, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

public sealed record KeyList(IReadOnlyList<ApiKeyInfo> Keys);

/// <summary>Calls of one UTC day; from <c>GET /admin/v1/tenants/{id}/usage/daily</c>, a route the API may not have yet.</summary>
public sealed record DailyCalls(DateOnly Date, long ApiCalls);

public sealed record DailyUsage(IReadOnlyList<DailyCalls> Days);

/// <summary>An agent with its record counts per memory type; from <c>GET /admin/v1/tenants/{id}/agents</c>, a route the API may not have yet.</summary>
public sealed record AgentSummary(string AgentId, long State, long Semantic, long Episodic);

public sealed record AgentList(IReadOnlyList<AgentSummary> Agents);

public sealed record AgentPurged(string AgentId, PurgeCounts Deleted);

public sealed record CreateTenantRequest(string TenantId, string Name, string Tier);

public sealed record UpdateTenantRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tier);

public sealed record IssueKeyRequest([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

/// <summary>The success envelope <c>{"data": …, "meta": …}</c>; meta is not needed here.</summary>
public sealed record Envelope<T>(T? Data);

/// <summary>The contract's error body: problem+json with <c>error.code</c> and <c>error.message</c>.</summary>
public sealed record ProblemBody(string? Title, string? Detail, int? Status, ProblemError? Error);

public sealed record ProblemError(string? Code, string? Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Envelope<TenantList>))]
[JsonSerializable(typeof(Envelope<Tenant>))]
[JsonSerializable(typeof(Envelope<TenantDetails>))]
[JsonSerializable(typeof(Envelope<TenantDeleted>))]
[JsonSerializable(typeof(Envelope<IssuedKey>))]
[JsonSerializable(typeof(Envelope<KeyList>))]
[JsonSerializable(typeof(Envelope<DailyUsage>))]
[JsonSerializable(typeof(Envelope<AgentList>))]
[JsonSerializable(typeof(Envelope<AgentPurged>))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(UpdateTenantRequest))]
[JsonSerializable(typeof(IssueKeyRequest))]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class OperatorJsonContext : JsonSerializerContext;
