using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Mnemora.Api.Http;
using Mnemora.Api.Semantic;
using Mnemora.Api.Storage.Semantic;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Apis;

/// <summary>Semantic memory: facts and documents an agent searches by meaning.</summary>
public static class SemanticApi
{
    public const int MaxContentCharacters = 100_000;
    public const int MaxMetadataBytes = 64 * 1024;
    public const int MaxTopK = 100;

    public static RouteGroupBuilder MapSemanticApi(this RouteGroupBuilder tenantApi)
    {
        var semantic = tenantApi.MapGroup("/memory/semantic").WithTags("Semantic memory");

        semantic.MapPost("", StoreMemory)
            .WithName("StoreSemanticMemory")
            .WithSummary("Stores a memory; a near-duplicate (cosine ≥ 0.95) of the same agent and namespace is merged instead.");
        semantic.MapPost("/search", SearchMemories)
            .WithName("SearchSemanticMemory")
            .WithSummary("The memories nearest in meaning to a query, best first.");
        semantic.MapGet("/{id}", GetMemory)
            .WithName("GetSemanticMemory")
            .WithSummary("One memory by id.");
        semantic.MapDelete("/{id}", DeleteMemory)
            .WithName("DeleteSemanticMemory")
            .WithSummary("Deletes a memory; it leaves search at once.");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<SemanticResponse>, ApiOk<SemanticResponse>, ApiProblem>> StoreMemory(
        StoreSemanticRequest request, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (Validate.Id(request.AgentId, "agent_id") is { } agentProblem)
        {
            return agentProblem;
        }

        var @namespace = request.Namespace ?? "default";
        if (Validate.Namespace(@namespace) is { } namespaceProblem)
        {
            return namespaceProblem;
        }

        if (ValidateText(request.Content, "content") is { } contentProblem)
        {
            return contentProblem;
        }

        if (ValidateObject(request.Metadata, "metadata") is { } metadataProblem)
        {
            return metadataProblem;
        }

        var metadata = request.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";
        var stored = await semantic.StoreAsync(tenant, request.AgentId!, @namespace, request.Content!, metadata, cancellationToken);
        var response = SemanticResponse.From(stored.Memory, similarity: null, stored.Deduplicated);
        return stored.Deduplicated ? ApiResults.Ok(response) : ApiResults.Created(response);
    }

    public static async Task<Results<ApiOk<SemanticSearchResponse>, ApiProblem>> SearchMemories(
        SearchSemanticRequest request, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (ValidateText(request.Query, "query") is { } queryProblem)
        {
            return queryProblem;
        }

        if (request.AgentId is not null && Validate.Id(request.AgentId, "agent_id") is { } agentProblem)
        {
            return agentProblem;
        }

        if (request.Namespace is not null && Validate.Namespace(request.Namespace) is { } namespaceProblem)
        {
            return namespaceProblem;
        }

        var topK = request.TopK ?? 10;
        if (topK is < 1 or > MaxTopK)
        {
            return ApiProblem.Validation($"top_k must be between 1 and {MaxTopK}.");
        }

        var threshold = request.Threshold ?? 0.1;
        if (double.IsNaN(threshold) || threshold is < 0 or > 1)
        {
            return ApiProblem.Validation("threshold must be between 0 and 1.");
        }

        if (ValidateObject(request.MetadataFilter, "metadata_filter") is { } filterProblem)
        {
            return filterProblem;
        }

        var filter = request.MetadataFilter is { ValueKind: JsonValueKind.Object } f && f.EnumerateObject().Any() ? f.GetRawText() : null;
        var matches = await semantic.SearchAsync(tenant, request.Query!, request.AgentId, request.Namespace, filter, topK, threshold, cancellationToken);
        return ApiResults.Ok(new SemanticSearchResponse([.. matches.Select(match => SemanticResponse.From(match.Memory, match.Similarity, deduplicated: false))]));
    }

    public static async Task<Results<ApiOk<SemanticResponse>, ApiProblem>> GetMemory(
        string id, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var memoryId))
        {
            return ApiProblem.Validation("id must be a UUID.");
        }

        return await semantic.GetAsync(tenant, memoryId, cancellationToken) is { } memory
            ? ApiResults.Ok(SemanticResponse.From(memory, similarity: null, deduplicated: false))
            : ApiProblem.NotFound("No such memory.");
    }

    public static async Task<Results<NoContent, ApiProblem>> DeleteMemory(
        string id, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var memoryId))
        {
            return ApiProblem.Validation("id must be a UUID.");
        }

        return await semantic.DeleteAsync(tenant, memoryId, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound("No such memory.");
    }

    private static ApiProblem? ValidateText(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ApiProblem.Validation($"{name} must not be empty.");
        }

        if (text.Length > MaxContentCharacters)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"{name} must be at most {MaxContentCharacters} characters.");
        }

        // PostgreSQL text cannot hold NUL.
        return text.Contains('\0', StringComparison.Ordinal) ? ApiProblem.Validation($"{name} must not contain NUL characters.") : null;
    }

    private static ApiProblem? ValidateObject(JsonElement? value, string name)
    {
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return ApiProblem.Validation($"{name} must be a JSON object.");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(element.GetRawText()) > MaxMetadataBytes)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"{name} must be at most {MaxMetadataBytes} bytes of JSON.");
        }

        // PostgreSQL jsonb cannot hold \u0000 in a string or a key.
        return HasNul(element) ? ApiProblem.Validation($"{name} must not contain NUL characters.") : null;
    }

    private static bool HasNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HasNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HasNul),
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}

public sealed record StoreSemanticRequest(string? AgentId, string? Content, string? Namespace, JsonElement? Metadata);

public sealed record SearchSemanticRequest(string? Query, string? AgentId, string? Namespace, int? TopK, double? Threshold, JsonElement? MetadataFilter);

public sealed record SemanticSearchResponse(IReadOnlyList<SemanticResponse> Results);

/// <summary>The contract's <c>SemanticResponse</c>; the tenant and internal columns stay off the wire.</summary>
public sealed record SemanticResponse(
    Guid Id,
    string AgentId,
    string Content,
    string Namespace,
    JsonElement Metadata,
    double? SimilarityScore,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    bool Deduplicated)
{
    public static SemanticResponse From(SemanticMemoryRecord memory, double? similarity, bool deduplicated)
    {
        using var metadata = JsonDocument.Parse(memory.MetadataJson);
        return new SemanticResponse(
            memory.Id, memory.AgentId, memory.Content, memory.Namespace, metadata.RootElement.Clone(),
            similarity, memory.CreatedAt, memory.UpdatedAt, deduplicated);
    }
}
