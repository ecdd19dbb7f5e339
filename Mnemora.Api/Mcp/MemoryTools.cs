using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mnemora.Api.Agents;
using Mnemora.Api.Apis;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Memory;
using Mnemora.Api.Semantic;
using Mnemora.Api.Summaries;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Mnemora.Api.Mcp;

/// <summary>
/// The contract's MCP tools ("Agents over MCP"): each checks its arguments by the rules of the matching
/// route's request record, calls the service or store that route calls for the key's tenant, and answers
/// with that route's <c>data</c>. Argument names are the contract's (snake_case), hence the parameter names.
/// </summary>
[McpServerToolType]
internal sealed class MemoryTools(
    TenantContext tenant,
    StateService states,
    StateStore stateStore,
    EpisodeService episodes,
    EpisodeStore episodeStore,
    SemanticMemoryService semantic,
    MemorySearch search,
    SummaryService summaries,
    UsageReader usage,
    TierCatalog tiers,
    HeavyCallShare heavyCalls,
    IOptions<HttpJsonOptions> json)
{
    private JsonSerializerOptions Json => json.Value.SerializerOptions;

    [McpServerTool(Name = "remember", Title = "Remember a fact", Destructive = false, OpenWorld = false)]
    [Description("Stores a semantic memory (a fact, preference or document) for an agent, searchable later by meaning. A near-duplicate of a memory of the same agent and namespace is merged into it instead (deduplicated: true). Returns the memory (same JSON as POST /v1/memory/semantic).")]
    public async Task<CallToolResult> Remember(
        [Description("The agent the memory belongs to (1-256 printable characters, no '#').")] string agent_id,
        [Description("The text to remember.")] string content,
        [Description("A namespace to group memories (default \"default\").")] string? @namespace = null,
        [Description("A JSON object of metadata stored with the memory.")] JsonElement? metadata = null,
        CancellationToken cancellationToken = default)
    {
        var request = new StoreSemanticRequest(agent_id, content, @namespace, metadata);
        if (RequestValidation.Check(request) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        var metadataJson = metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";
        var stored = await semantic.StoreAsync(tenant, agent_id, @namespace ?? SemanticApi.DefaultNamespace, content, metadataJson, cancellationToken);
        return ToolResults.Data(SemanticResponse.From(stored.Memory, similarity: null, stored.Deduplicated), Json);
    }

    [McpServerTool(Name = "recall", Title = "Recall memories", ReadOnly = true, OpenWorld = false)]
    [Description("Searches memory by meaning: with agent_id, that agent's semantic memories and recent episodes in one list; without, the semantic memories of every agent. Best first. Returns {\"results\": [...]} (same JSON as POST /v1/memory/search).")]
    public async Task<CallToolResult> Recall(
        [Description("What to look for, in natural language.")] string query,
        [Description("Only this agent's memories and episodes (omit: every agent's semantic memories).")] string? agent_id = null,
        [Description("At most this many results, 1-100 (default 10).")] int? top_k = null,
        CancellationToken cancellationToken = default)
    {
        var request = new MemorySearchRequest(query, agent_id, top_k, null);
        if (RequestValidation.Check(request) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        var matches = await search.SearchAsync(tenant.TenantId, query, agent_id, top_k ?? RequestLimits.DefaultTopK, RequestLimits.DefaultThreshold, cancellationToken);
        return ToolResults.Data(new MemorySearchResponse([.. matches.Select(match => MemorySearchResult.From(match, agent_id))]), Json);
    }

    [McpServerTool(Name = "forget", Title = "Forget a memory", Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Deletes a semantic memory by id: it leaves search at once and its content is erased. Returns {\"id\", \"deleted\": true}; NOT_FOUND when there is no such memory.")]
    public async Task<CallToolResult> Forget(
        [Description("The memory's id (a UUID, as remember or recall returned it).")] string id,
        CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParse(id, out var memoryId))
        {
            return ToolResults.Error(ErrorCodes.Validation, "id must be a UUID.");
        }

        return await semantic.DeleteAsync(tenant, memoryId, cancellationToken)
            ? ToolResults.Data(new ForgetResult(memoryId, Deleted: true), Json)
            : ToolResults.Error(ErrorCodes.NotFound, "No such memory.");
    }

    [McpServerTool(Name = "get_state", Title = "Read working state", ReadOnly = true, OpenWorld = false)]
    [Description("Reads an agent session's working state: a JSON object with a version number. Returns the state (same JSON as GET /v1/state/{agent_id}); NOT_FOUND when the session has none.")]
    public async Task<CallToolResult> GetState(
        [Description("The agent.")] string agent_id,
        [Description("The session (default \"default\").")] string? session_id = null,
        CancellationToken cancellationToken = default)
    {
        if ((Validate.Id(agent_id, "agent_id") ?? (session_id is null ? null : Validate.Id(session_id, "session_id"))) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        return await stateStore.GetAsync(tenant.TenantId, agent_id, session_id ?? StateService.DefaultSession, cancellationToken) is { } record
            ? ToolResults.Data(StateResponse.From(record), Json)
            : ToolResults.Error(ErrorCodes.NotFound, "No state for this agent and session.");
    }

    [McpServerTool(Name = "set_state", Title = "Write working state", Destructive = true, OpenWorld = false)]
    [Description("Writes an agent session's working state. Without version it creates or overwrites (version 1 when new, previous + 1 otherwise); with version it replaces only if that is still the current version (CONFLICT otherwise, NOT_FOUND when there is none). Returns the state (same JSON as POST or PUT /v1/state).")]
    public async Task<CallToolResult> SetState(
        [Description("The agent.")] string agent_id,
        [Description("The state: a JSON object, at most 400 KB serialised.")] JsonElement data,
        [Description("The session (default \"default\").")] string? session_id = null,
        [Description("The version last read, to replace only if nobody changed it since.")] long? version = null,
        CancellationToken cancellationToken = default)
    {
        if (version is null)
        {
            var create = new CreateStateRequest(agent_id, data, session_id, null);
            if (RequestValidation.Check(create) is { } createProblem)
            {
                return ToolResults.Error(createProblem);
            }

            return await states.CreateAsync(tenant, create, cancellationToken) switch
            {
                { Stored: { } record } => ToolResults.Data(StateResponse.From(record), Json),
                var refused => ToolResults.Error(refused.Refusal!.ToProblem()),
            };
        }

        var update = new UpdateStateRequest(data, version, session_id, null);
        if ((Validate.Id(agent_id, "agent_id") ?? RequestValidation.Check(update)) is { } updateProblem)
        {
            return ToolResults.Error(updateProblem);
        }

        var result = await states.UpdateAsync(tenant, agent_id, update, cancellationToken);
        return result.Stored?.Outcome switch
        {
            null => ToolResults.Error(result.Refusal!.ToProblem()),
            StateUpdateOutcome.Updated => ToolResults.Data(StateResponse.From(result.Stored.Record!), Json),
            StateUpdateOutcome.VersionConflict => ToolResults.Error(ErrorCodes.Conflict, "The state was changed since that version was read; read it again."),
            _ => ToolResults.Error(ErrorCodes.NotFound, "No state for this agent and session."),
        };
    }

    [McpServerTool(Name = "log_episode", Title = "Log an episode", Destructive = false, OpenWorld = false)]
    [Description("Appends an immutable episode to an agent session's log (a conversation turn, an action, an observation or a tool call); the server assigns its id and timestamp. Returns the episode (same JSON as POST /v1/memory/episodic).")]
    public async Task<CallToolResult> LogEpisode(
        [Description("The agent.")] string agent_id,
        [Description("The session.")] string session_id,
        [Description("One of conversation, action, observation, tool_call.")] string type,
        [Description("What happened: a string or any JSON value (e.g. {\"role\": \"user\", \"text\": \"...\"}).")] JsonElement content,
        [Description("A JSON object of metadata.")] JsonElement? metadata = null,
        CancellationToken cancellationToken = default)
    {
        var request = new CreateEpisodeRequest(agent_id, session_id, type, content, metadata);
        if (RequestValidation.Check(request) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        return await episodes.AppendAsync(tenant, request, cancellationToken) switch
        {
            { Stored: { } episode } => ToolResults.Data(EpisodeResponse.From(agent_id, episode), Json),
            var refused => ToolResults.Error(refused.Refusal!.ToProblem()),
        };
    }

    [McpServerTool(Name = "replay_session", Title = "Replay a session", ReadOnly = true, OpenWorld = false)]
    [Description("Replays a session's episodes in time order, from hot or cold storage alike (up to 1000; next_cursor is set when there are more). Returns {\"episodes\": [...], \"next_cursor\"} (same JSON as GET /v1/memory/episodic/{agent_id}/sessions/{session_id}); NOT_FOUND when the session has no episodes.")]
    public async Task<CallToolResult> ReplaySession(
        [Description("The agent.")] string agent_id,
        [Description("The session.")] string session_id,
        CancellationToken cancellationToken = default)
    {
        if ((Validate.Id(agent_id, "agent_id") ?? Validate.Id(session_id, "session_id")) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        // A replay of up to 1,000 episodes: one of the tenant's heavy calls, as the route's is.
        EpisodePage page;
        using (await heavyCalls.EnterAsync(tenant.TenantId, cancellationToken))
        {
            page = await episodeStore.ListAsync(tenant.TenantId, agent_id, new EpisodeQuery(session_id, Limit: EpisodeQuery.MaxLimit), cancellationToken);
        }

        if (page.Episodes.Count == 0)
        {
            return ToolResults.Error(ErrorCodes.NotFound, "This session has no episodes.");
        }

        return ToolResults.Data(new EpisodesResponse([.. page.Episodes.Select(e => EpisodeResponse.From(agent_id, e))], page.Next?.ToCursor()), Json);
    }

    [McpServerTool(Name = "list_sessions", Title = "List sessions", ReadOnly = true, OpenWorld = false)]
    [Description("Lists the agent's sessions that have working state. Returns {\"sessions\": [...]} (same JSON as GET /v1/state/{agent_id}/sessions).")]
    public async Task<CallToolResult> ListSessions(
        [Description("The agent.")] string agent_id,
        CancellationToken cancellationToken = default)
    {
        if (Validate.Id(agent_id, "agent_id") is { } problem)
        {
            return ToolResults.Error(problem);
        }

        return ToolResults.Data(new SessionsResponse(await stateStore.ListSessionsAsync(tenant.TenantId, agent_id, cancellationToken)), Json);
    }

    [McpServerTool(Name = "summarize_session", Title = "Summarise a session", Destructive = false, OpenWorld = false)]
    [Description("Condenses a session's newest 100 episodes into one semantic memory in the namespace episodic_summaries, so it can be recalled later. Returns that memory (same JSON as POST /v1/memory/episodic/{agent_id}/summarize); NOT_FOUND when the session has no episodes.")]
    public async Task<CallToolResult> SummarizeSession(
        [Description("The agent.")] string agent_id,
        [Description("The session.")] string session_id,
        CancellationToken cancellationToken = default)
    {
        if ((Validate.Id(agent_id, "agent_id") ?? Validate.Id(session_id, "session_id")) is { } problem)
        {
            return ToolResults.Error(problem);
        }

        // Reads up to 100 episodes and embeds their sentences: one of the tenant's heavy calls, as the route's is.
        SemanticStoreResult? stored;
        using (await heavyCalls.EnterAsync(tenant.TenantId, cancellationToken))
        {
            stored = await summaries.SummarizeAsync(
                tenant, new SummaryRequest(agent_id, session_id, null, null, SummaryApi.DefaultEpisodes, SummaryApi.DefaultNamespace), cancellationToken);
        }

        return stored is null
            ? ToolResults.Error(ErrorCodes.NotFound, "No episodes match: nothing to summarise.")
            : ToolResults.Data(SemanticResponse.From(stored.Memory, similarity: null, stored.Deduplicated), Json);
    }

    [McpServerTool(Name = "usage", Title = "Usage and limits", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("The tenant's calls today and this month, stored vectors and bytes, agents and sessions, against its tier's limits (same JSON as GET /v1/usage).")]
    public async Task<CallToolResult> Usage(CancellationToken cancellationToken = default) =>
        ToolResults.Data(UsageResponse.From(await usage.ReadAsync(tenant.TenantId, tenant.Tier, cancellationToken), tiers.For(tenant.Tier)), Json);

    /// <summary>What <c>forget</c> answers: the route answers 204 with no body.</summary>
    internal sealed record ForgetResult(Guid Id, bool Deleted);
}
