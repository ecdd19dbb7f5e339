using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Semantic;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Apis;

/// <summary>Semantic memory: facts and documents an agent searches by meaning.</summary>
public static class SemanticApi
{
    public const string DefaultNamespace = "default";

    public static RouteGroupBuilder MapSemanticApi(this RouteGroupBuilder tenantApi)
    {
        var semantic = tenantApi.MapGroup("/memory/semantic").WithTags("Semantic memory").WithRequestBodyLimit(RequestBodyLimits.Text);

        semantic.MapPost("", StoreMemory)
            .WithName("StoreSemanticMemory")
            .WithSummary("Stores a memory; a near-duplicate (cosine ≥ 0.95) of the same agent and namespace that states the same fact is merged, one it updates is replaced (its older version kept in history).");
        semantic.MapPost("/search", SearchMemories)
            .WithName("SearchSemanticMemory")
            .WithSummary("The memories that best match a query, best first: by meaning (mode vector, the default), by meaning and words fused (hybrid) or by words (keyword); filter takes metadata operators and a creation window.");
        semantic.MapGet("", ListMemories)
            .WithName("ListSemanticMemories")
            .WithSummary("An agent's memories newest first, a page at a time ('limit' 1-100, default 20; 'cursor' continues); 'filter' (URL-encoded JSON, search's metadata operators), 'created_after' and 'created_before' narrow it.");
        semantic.MapPatch("/{id}", PatchMemory)
            .WithName("PatchSemanticMemory")
            .WithSummary("Edits a memory's content (embedded again), metadata (replaced) or namespace; 'version' guards against a concurrent edit (409).");
        semantic.MapGet("/{id}/history", GetMemoryHistory)
            .WithName("GetSemanticMemoryHistory")
            .WithSummary("Every version of a memory, oldest first: created, updated, merged, deleted.");
        semantic.MapGet("/{id}", GetMemory)
            .WithName("GetSemanticMemory")
            .WithSummary("One memory by id.");
        semantic.MapDelete("/{id}", DeleteMemory)
            .WithName("DeleteSemanticMemory")
            .WithSummary("Deletes a memory: it leaves search at once, its content and vector are erased, its history keeps a 'deleted' entry.");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<SemanticResponse>, ApiOk<SemanticResponse>, ApiProblem>> StoreMemory(
        StoreSemanticRequest request, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        var metadata = request.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";
        var ttl = request.TtlHours is { } hours ? TimeSpan.FromHours(hours) : (TimeSpan?)null;
        var stored = await semantic.StoreAsync(tenant, request.AgentId!, request.Namespace ?? DefaultNamespace, request.Content!, metadata, ttl, cancellationToken);
        var response = SemanticResponse.From(stored);
        return response.Dedup == "none" ? ApiResults.Created(response) : ApiResults.Ok(response);
    }

    public static async Task<Results<ApiOk<SemanticSearchResponse>, ApiProblem>> SearchMemories(
        SearchSemanticRequest request, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        var containment = request.MetadataFilter is { ValueKind: JsonValueKind.Object } f && f.EnumerateObject().Any() ? f.GetRawText() : null;
        SearchModeAttribute.TryParse(request.Mode, out var mode);
        Validate.TryParseInstant(request.CreatedAfter, out var after);
        Validate.TryParseInstant(request.CreatedBefore, out var before);
        // The rules on the request already ran the compiler: it cannot refuse here.
        var filter = MetadataFilter.Compile(request.Filter, after, before);
        var matches = await semantic.SearchAsync(
            tenant, request.Query!, request.AgentId, request.Namespace, containment, request.TopK ?? RequestLimits.DefaultTopK, request.Threshold ?? RequestLimits.DefaultThreshold,
            mode, filter, cancellationToken);
        return ApiResults.Ok(new SemanticSearchResponse([.. matches.Select(SemanticResponse.From)]));
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

    public static async Task<Results<ApiOk<SemanticListResponse>, ApiProblem>> ListMemories(
        [FromQuery(Name = "agent_id")] string? agentId,
        [FromQuery(Name = "namespace")] string? @namespace,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromQuery] string? filter,
        [FromQuery(Name = "created_after")] string? createdAfter,
        [FromQuery(Name = "created_before")] string? createdBefore,
        TenantContext tenant,
        SemanticMemoryService semantic,
        CancellationToken cancellationToken)
    {
        if (Validate.Id(agentId, "agent_id") is { } badAgent)
        {
            return badAgent;
        }

        if (@namespace is not null && Validate.Namespace(@namespace) is { } badNamespace)
        {
            return badNamespace;
        }

        var pageSize = RequestLimits.DefaultSemanticPage;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize)
            || pageSize is < 1 or > RequestLimits.MaxSemanticPage))
        {
            return ApiProblem.Validation($"'limit' must be between 1 and {RequestLimits.MaxSemanticPage}.");
        }

        if (ListFilter(filter, createdAfter, createdBefore, out var compiled) is { } badFilter)
        {
            return badFilter;
        }

        try
        {
            var page = await semantic.ListAsync(tenant, agentId!, @namespace, pageSize, cursor, compiled, cancellationToken);
            return ApiResults.Ok(new SemanticListResponse(
                [.. page.Memories.Select(m => SemanticResponse.From(m, similarity: null, deduplicated: false))], page.NextCursor));
        }
        catch (InvalidCursorException)
        {
            return ApiProblem.Validation("'cursor' is not a cursor this API returned.");
        }
    }

    /// <summary>The list's <c>filter</c> (a JSON object in the query string, as search takes in its body) and creation window, compiled.</summary>
    private static ApiProblem? ListFilter(string? filter, string? createdAfter, string? createdBefore, out MetadataFilter? compiled)
    {
        compiled = null;
        DateTimeOffset? after = null, before = null;
        if (createdAfter is not null && !Validate.TryParseInstant(createdAfter, out after))
        {
            return ApiProblem.Validation("'created_after' must be an ISO 8601 timestamp.");
        }

        if (createdBefore is not null && !Validate.TryParseInstant(createdBefore, out before))
        {
            return ApiProblem.Validation("'created_before' must be an ISO 8601 timestamp.");
        }

        JsonElement? element = null;
        if (filter is not null)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(filter) > RequestLimits.MaxMetadataBytes)
            {
                return ApiProblem.Validation($"'filter' must be a JSON object of at most {RequestLimits.MaxMetadataBytes} bytes.");
            }

            try
            {
                using var document = JsonDocument.Parse(filter);
                element = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return ApiProblem.Validation("'filter' must be a JSON object (URL-encoded).");
            }

            if (element.Value.ValueKind != JsonValueKind.Object)
            {
                return ApiProblem.Validation("'filter' must be a JSON object (URL-encoded).");
            }
        }

        try
        {
            compiled = MetadataFilter.Compile(element, after, before);
            return null;
        }
        catch (MetadataFilterException e)
        {
            return ApiProblem.Validation($"'filter': {e.Message}");
        }
    }

    public static async Task<Results<ApiOk<SemanticResponse>, ApiProblem>> PatchMemory(
        string id, PatchSemanticRequest request, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var memoryId))
        {
            return ApiProblem.Validation("id must be a UUID.");
        }

        var metadata = request.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null;
        if (request.Content is null && metadata is null && request.Namespace is null)
        {
            return ApiProblem.Validation("Send at least one of content, metadata and namespace.");
        }

        if (request.Version is < 1)
        {
            return ApiProblem.Validation("'version' must be a positive integer.");
        }

        var patched = await semantic.PatchAsync(tenant, memoryId, request.Content, metadata, request.Namespace, request.Version, cancellationToken);
        return patched.Outcome switch
        {
            SemanticPatchOutcome.Patched => ApiResults.Ok(SemanticResponse.From(patched.Memory!, similarity: null, deduplicated: false)),
            SemanticPatchOutcome.VersionMismatch => ApiProblem.Conflict($"The memory is at version {patched.CurrentVersion}, not {request.Version}."),
            _ => ApiProblem.NotFound("No such memory."),
        };
    }

    public static async Task<Results<ApiOk<SemanticHistoryResponse>, ApiProblem>> GetMemoryHistory(
        string id, TenantContext tenant, SemanticMemoryService semantic, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var memoryId))
        {
            return ApiProblem.Validation("id must be a UUID.");
        }

        return await semantic.GetHistoryAsync(tenant, memoryId, cancellationToken) is { } versions
            ? ApiResults.Ok(SemanticHistoryResponse.From(versions))
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
}
