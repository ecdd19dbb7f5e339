using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnemora.Client;

/// <summary>The success envelope: <c>{"data": …, "meta": {…}}</c>.</summary>
internal sealed record Envelope<T>(T Data);

/// <summary>The error envelope: RFC 9457 problem details with <c>error {code, message}</c> and <c>meta</c>.</summary>
internal sealed record Problem(int? Status, string? Title, string? Detail, ProblemError? Error, ProblemMeta? Meta);

internal sealed record ProblemError(string? Code, string? Message);

internal sealed record ProblemMeta(string? RequestId);

/// <summary>Source-generated (reflection-free, trimmable) JSON for every body the client sends or reads, in snake_case.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(Envelope<MnemoraHealth>))]
[JsonSerializable(typeof(Envelope<Usage>))]
[JsonSerializable(typeof(StoreStateRequest))]
[JsonSerializable(typeof(UpdateStateRequest))]
[JsonSerializable(typeof(Envelope<AgentState>))]
[JsonSerializable(typeof(Envelope<SessionList>))]
[JsonSerializable(typeof(StoreSemanticRequest))]
[JsonSerializable(typeof(SearchSemanticRequest))]
[JsonSerializable(typeof(Envelope<SemanticMemory>))]
[JsonSerializable(typeof(Envelope<SemanticResults>))]
[JsonSerializable(typeof(PatchSemanticRequest))]
[JsonSerializable(typeof(Envelope<SemanticHistory>))]
[JsonSerializable(typeof(Envelope<SemanticMemoryPage>))]
[JsonSerializable(typeof(StoreEpisodeRequest))]
[JsonSerializable(typeof(SummarizeRequest))]
[JsonSerializable(typeof(Envelope<Episode>))]
[JsonSerializable(typeof(Envelope<EpisodePage>))]
[JsonSerializable(typeof(MemoryWrite))]
[JsonSerializable(typeof(SearchAllRequest))]
[JsonSerializable(typeof(Envelope<AgentMemory>))]
[JsonSerializable(typeof(Envelope<MemorySearchResults>))]
[JsonSerializable(typeof(Envelope<PurgeResult>))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(UpdateTenantRequest))]
[JsonSerializable(typeof(RetentionRequest))]
[JsonSerializable(typeof(SignInReport))]
[JsonSerializable(typeof(Envelope<AuditList>))]
[JsonSerializable(typeof(Envelope<AuditEvent>))]
[JsonSerializable(typeof(IssueKeyRequest))]
[JsonSerializable(typeof(Envelope<Tenant>))]
[JsonSerializable(typeof(Envelope<TenantList>))]
[JsonSerializable(typeof(Envelope<TenantDetails>))]
[JsonSerializable(typeof(Envelope<TenantDeletion>))]
[JsonSerializable(typeof(Envelope<IssuedApiKey>))]
[JsonSerializable(typeof(Envelope<KeyList>))]
[JsonSerializable(typeof(Envelope<VectorCountBody>))]
[JsonSerializable(typeof(Envelope<ImportResult>))]
[JsonSerializable(typeof(Envelope<TierList>))]
[JsonSerializable(typeof(Envelope<AgentList>))]
[JsonSerializable(typeof(Envelope<AgentDeletion>))]
[JsonSerializable(typeof(Envelope<DailyUsage>))]
internal sealed partial class MnemoraJsonContext : JsonSerializerContext;
