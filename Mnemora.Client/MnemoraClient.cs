using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Mnemora.Client;

/// <summary>
/// A client of the Mnemora v1 API for one tenant: every call sends that tenant's API key, so it
/// reads and writes only that tenant's memories. Thread-safe; cheap to create (see
/// <see cref="IMnemoraClientFactory"/>). Errors surface as <see cref="MnemoraException"/> subclasses;
/// 429 and 5xx answers are retried first by the resilience handler that <c>AddMnemoraClient</c> installs.
/// </summary>
public sealed class MnemoraClient
{
    private readonly MnemoraHttp _http;

    /// <summary>
    /// Creates a client over an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is
    /// the server's root URL. Prefer <c>AddMnemoraClient</c>, whose HTTP client retries and times out;
    /// a client passed here does whatever its handlers do.
    /// </summary>
    /// <param name="httpClient">The HTTP client; its base address is the server's root URL.</param>
    /// <param name="apiKey">The tenant's API key (<c>mnm_…</c>).</param>
    public MnemoraClient(HttpClient httpClient, string apiKey) => _http = new MnemoraHttp(httpClient, apiKey);

    // ---- Health and usage ----

    /// <summary>Reads the server's health (<c>GET /v1/health</c>); a server with a store down answers with <see cref="ServiceUnavailableException"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Each store's status.</returns>
    public Task<MnemoraHealth> GetHealthAsync(CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, "v1/health", null, MnemoraJsonContext.Default.EnvelopeMnemoraHealth, cancellationToken);

    /// <summary>Reads the tenant's usage against its tier's limits (<c>GET /v1/usage</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Calls, vectors and bytes, with the tier and its daily limit.</returns>
    public Task<Usage> GetUsageAsync(CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, "v1/usage", null, MnemoraJsonContext.Default.EnvelopeUsage, cancellationToken);

    /// <summary>Reads how many semantic memories (vectors) the tenant stores (<c>GET /v1/usage/vectors</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of stored vectors.</returns>
    public async Task<long> GetVectorCountAsync(CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, "v1/usage/vectors", null, MnemoraJsonContext.Default.EnvelopeVectorCountBody, cancellationToken)).VectorCount;

    // ---- Working memory (state) ----

    /// <summary>Creates or overwrites a session's state (<c>POST /v1/state</c>): version 1 when new, the previous version + 1 otherwise.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="data">The state, a JSON object of at most 400 KB.</param>
    /// <param name="sessionId">The session; <c>default</c> when null.</param>
    /// <param name="timeToLive">How long the state lives, in whole hours from 1 hour to 365 days; null: forever.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored state with its version.</returns>
    public Task<AgentState> StoreStateAsync(string agentId, JsonObject data, string? sessionId = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var body = new StoreStateRequest(agentId, data, sessionId, TtlHours(timeToLive));
        return _http.SendAsync(HttpMethod.Post, "v1/state", MnemoraHttp.Json(body, MnemoraJsonContext.Default.StoreStateRequest), MnemoraJsonContext.Default.EnvelopeAgentState, cancellationToken);
    }

    /// <summary>Reads a session's state (<c>GET /v1/state/{agent_id}</c>); <see cref="NotFoundException"/> when there is none or it has expired.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">The session; <c>default</c> when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state.</returns>
    public Task<AgentState> GetStateAsync(string agentId, string? sessionId = null, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, Path("v1/state", agentId) + Query(("session_id", sessionId)), null, MnemoraJsonContext.Default.EnvelopeAgentState, cancellationToken);

    /// <summary>Lists the agent's sessions that have state (<c>GET /v1/state/{agent_id}/sessions</c>).</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session ids.</returns>
    public async Task<IReadOnlyList<string>> ListStateSessionsAsync(string agentId, CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, Path("v1/state", agentId, "sessions"), null, MnemoraJsonContext.Default.EnvelopeSessionList, cancellationToken)).Sessions;

    /// <summary>
    /// Replaces a session's state if it is still at <paramref name="version"/> (<c>PUT /v1/state/{agent_id}</c>):
    /// optimistic concurrency. <see cref="ConflictException"/> when someone wrote since; <see cref="NotFoundException"/> when there is no state.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="data">The new state, a JSON object of at most 400 KB.</param>
    /// <param name="version">The version last read (<see cref="AgentState.Version"/>).</param>
    /// <param name="sessionId">The session; <c>default</c> when null.</param>
    /// <param name="timeToLive">A new time to live in whole hours; null keeps none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state with its version + 1.</returns>
    public Task<AgentState> UpdateStateAsync(string agentId, JsonObject data, long version, string? sessionId = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var body = new UpdateStateRequest(data, version, sessionId, TtlHours(timeToLive));
        return _http.SendAsync(HttpMethod.Put, Path("v1/state", agentId), MnemoraHttp.Json(body, MnemoraJsonContext.Default.UpdateStateRequest), MnemoraJsonContext.Default.EnvelopeAgentState, cancellationToken);
    }

    /// <summary>Deletes a session's state (<c>DELETE /v1/state/{agent_id}/{session_id}</c>); <see cref="NotFoundException"/> when there is none.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the state is deleted.</returns>
    public Task DeleteStateAsync(string agentId, string sessionId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, Path("v1/state", agentId, sessionId), cancellationToken);

    // ---- Semantic memory ----

    /// <summary>
    /// Stores a fact or document for search by meaning (<c>POST /v1/memory/semantic</c>). A near-duplicate
    /// (cosine ≥ 0.95) of the same agent and namespace is updated instead, its metadata merged:
    /// <see cref="SemanticMemory.Deduplicated"/> says which happened.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="content">The text (non-empty).</param>
    /// <param name="namespace">The namespace; <c>default</c> when null.</param>
    /// <param name="metadata">Free-form metadata to filter searches by.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored (or merged) memory.</returns>
    public Task<SemanticMemory> StoreMemoryAsync(string agentId, string content, string? @namespace = null, JsonObject? metadata = null, CancellationToken cancellationToken = default)
    {
        var body = new StoreSemanticRequest(agentId, content, @namespace, metadata);
        return _http.SendAsync(HttpMethod.Post, "v1/memory/semantic", MnemoraHttp.Json(body, MnemoraJsonContext.Default.StoreSemanticRequest), MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken);
    }

    /// <summary>Finds the tenant's semantic memories nearest in meaning to a query (<c>POST /v1/memory/semantic/search</c>), best first.</summary>
    /// <param name="query">What to look for, in natural language.</param>
    /// <param name="agentId">Only this agent's memories; null: the whole tenant's.</param>
    /// <param name="namespace">Only this namespace.</param>
    /// <param name="topK">At most this many results, 1–100; the server's default is 10.</param>
    /// <param name="threshold">Only results with <see cref="SemanticMemory.SimilarityScore"/> at least this, 0–1; the server's default is 0.1.</param>
    /// <param name="metadataFilter">Only memories whose metadata has each of these keys with an equal value.</param>
    /// <param name="mode">How to rank: <see cref="SearchMode.Hybrid"/> (the server's default: by meaning, with exact ids, codes and names found by their words), by meaning alone (<see cref="SearchMode.Vector"/>) or by words.</param>
    /// <param name="filter">Metadata operators (<c>$eq $ne $in $nin $gt $gte $lt $lte $exists</c>, <c>$and</c>/<c>$or</c>), e.g. <c>{"priority": {"$gte": 2}}</c>.</param>
    /// <param name="createdAfter">Only memories stored after this instant.</param>
    /// <param name="createdBefore">Only memories stored before this instant.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The matches, best first, each with its similarity score and the score it was ranked by.</returns>
    public async Task<IReadOnlyList<SemanticMemory>> SearchMemoryAsync(
        string query,
        string? agentId = null,
        string? @namespace = null,
        int? topK = null,
        double? threshold = null,
        JsonObject? metadataFilter = null,
        SearchMode? mode = null,
        JsonObject? filter = null,
        DateTimeOffset? createdAfter = null,
        DateTimeOffset? createdBefore = null,
        CancellationToken cancellationToken = default)
    {
        var body = new SearchSemanticRequest(
            query, agentId, @namespace, topK, threshold, metadataFilter,
            mode?.ToString().ToLowerInvariant(), filter,
            createdAfter?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            createdBefore?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var results = await _http.SendAsync(HttpMethod.Post, "v1/memory/semantic/search", MnemoraHttp.Json(body, MnemoraJsonContext.Default.SearchSemanticRequest), MnemoraJsonContext.Default.EnvelopeSemanticResults, cancellationToken);
        return results.Results;
    }

    /// <summary>Reads one semantic memory (<c>GET /v1/memory/semantic/{id}</c>); <see cref="NotFoundException"/> when it does not exist for this tenant.</summary>
    /// <param name="id">The memory's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The memory.</returns>
    public Task<SemanticMemory> GetMemoryAsync(Guid id, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, Path("v1/memory/semantic", Id(id)), null, MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken);

    /// <summary>Deletes one semantic memory (<c>DELETE /v1/memory/semantic/{id}</c>); it leaves search at once. <see cref="NotFoundException"/> when it does not exist.</summary>
    /// <param name="id">The memory's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the memory is deleted.</returns>
    public Task DeleteMemoryAsync(Guid id, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, Path("v1/memory/semantic", Id(id)), cancellationToken);

    /// <summary>
    /// Stores a memory that expires (<c>POST /v1/memory/semantic</c> with <c>ttl_hours</c>): after <paramref name="timeToLive"/>
    /// (whole hours, 1–87600) it is gone from every read.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="content">The text (non-empty).</param>
    /// <param name="timeToLive">How long the memory lives, in whole hours.</param>
    /// <param name="namespace">The namespace; <c>default</c> when null.</param>
    /// <param name="metadata">Free-form metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored memory, with <see cref="SemanticMemory.ExpiresAt"/>.</returns>
    public Task<SemanticMemory> StoreExpiringMemoryAsync(string agentId, string content, TimeSpan timeToLive, string? @namespace = null, JsonObject? metadata = null, CancellationToken cancellationToken = default)
    {
        var body = new StoreSemanticRequest(agentId, content, @namespace, metadata, (int)Math.Ceiling(timeToLive.TotalHours));
        return _http.SendAsync(HttpMethod.Post, "v1/memory/semantic", MnemoraHttp.Json(body, MnemoraJsonContext.Default.StoreSemanticRequest), MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken);
    }

    /// <summary>
    /// Edits a semantic memory (<c>PATCH /v1/memory/semantic/{id}</c>): a new content is embedded again, metadata
    /// replaces the old. With <paramref name="version"/>, a memory changed since is a <see cref="ConflictException"/>.
    /// </summary>
    /// <param name="id">The memory's id.</param>
    /// <param name="content">The new text; null keeps it.</param>
    /// <param name="metadata">The new metadata (replaces); null keeps it.</param>
    /// <param name="namespace">The new namespace; null keeps it.</param>
    /// <param name="version">The version the edit expects the memory to be at; null: any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The memory as edited, its version + 1.</returns>
    public Task<SemanticMemory> UpdateMemoryAsync(Guid id, string? content = null, JsonObject? metadata = null, string? @namespace = null, long? version = null, CancellationToken cancellationToken = default)
    {
        var body = new PatchSemanticRequest(content, metadata, @namespace, version);
        return _http.SendAsync(HttpMethod.Patch, Path("v1/memory/semantic", Id(id)), MnemoraHttp.Json(body, MnemoraJsonContext.Default.PatchSemanticRequest), MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken);
    }

    /// <summary>Every version of a semantic memory, oldest first (<c>GET /v1/memory/semantic/{id}/history</c>), its deletion included.</summary>
    /// <param name="id">The memory's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The versions, oldest first.</returns>
    public async Task<IReadOnlyList<SemanticMemoryVersion>> GetMemoryHistoryAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, Path("v1/memory/semantic", Id(id), "history"), null, MnemoraJsonContext.Default.EnvelopeSemanticHistory, cancellationToken)).History;

    /// <summary>One page of an agent's semantic memories, newest first (<c>GET /v1/memory/semantic</c>).</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="namespace">Only this namespace; null: all.</param>
    /// <param name="limit">Memories in the page, 1–100; null: the server's default (20).</param>
    /// <param name="cursor">The <see cref="SemanticMemoryPage.NextCursor"/> of the previous page; null for the first. Send the same filters with it.</param>
    /// <param name="filter">Metadata operators, as <see cref="SearchMemoryAsync"/> takes them, e.g. <c>{"priority": {"$gte": 2}}</c>; null: none.</param>
    /// <param name="createdAfter">Only memories stored after this instant.</param>
    /// <param name="createdBefore">Only memories stored before this instant.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the cursor of the next one.</returns>
    public Task<SemanticMemoryPage> ListMemoriesAsync(
        string agentId,
        string? @namespace = null,
        int? limit = null,
        string? cursor = null,
        JsonObject? filter = null,
        DateTimeOffset? createdAfter = null,
        DateTimeOffset? createdBefore = null,
        CancellationToken cancellationToken = default)
    {
        var query = Query(
            ("agent_id", agentId), ("namespace", @namespace), ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor),
            ("filter", filter?.ToJsonString()), ("created_after", Instant(createdAfter)), ("created_before", Instant(createdBefore)));
        return _http.SendAsync(HttpMethod.Get, "v1/memory/semantic" + query, null, MnemoraJsonContext.Default.EnvelopeSemanticMemoryPage, cancellationToken);
    }

    /// <summary>
    /// Every memory of the agent, newest first, following the server's cursor page by page
    /// (<c>GET /v1/memory/semantic</c>, as <see cref="ListMemoriesAsync"/>); the next page is asked for only when it is reached.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="namespace">Only this namespace; null: all.</param>
    /// <param name="filter">Metadata operators, as <see cref="SearchMemoryAsync"/> takes them; null: none.</param>
    /// <param name="pageSize">Memories per call, 1–100; null: the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The memories, one page's worth in memory at a time.</returns>
    public async IAsyncEnumerable<SemanticMemory> ListAllMemoriesAsync(
        string agentId,
        string? @namespace = null,
        JsonObject? filter = null,
        int? pageSize = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListMemoriesAsync(agentId, @namespace, pageSize, cursor, filter, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var memory in page.Memories)
            {
                yield return memory;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    // ---- Episodic memory ----

    /// <summary>Appends an episode to the agent's log (<c>POST /v1/memory/episodic</c>); the server assigns its id and timestamp.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="type">What kind of entry it is.</param>
    /// <param name="content">The entry: a string (<c>"…"</c> converts implicitly) or any JSON value.</param>
    /// <param name="metadata">Free-form metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored episode.</returns>
    public Task<Episode> StoreEpisodeAsync(string agentId, string sessionId, EpisodeType type, JsonNode content, JsonObject? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var body = new StoreEpisodeRequest(agentId, sessionId, type, content, metadata);
        return _http.SendAsync(HttpMethod.Post, "v1/memory/episodic", MnemoraHttp.Json(body, MnemoraJsonContext.Default.StoreEpisodeRequest), MnemoraJsonContext.Default.EnvelopeEpisode, cancellationToken);
    }

    /// <summary>
    /// Every episode of the agent that matches <paramref name="filter"/>, oldest first
    /// (<c>GET /v1/memory/episodic/{agent_id}</c>), fetched a page at a time as the enumeration goes,
    /// hot (DynamoDB) and cold (S3) alike. Stop enumerating (or use <c>Take</c>) to fetch no more.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="filter">Session, type and time filters; null: all.</param>
    /// <param name="pageSize">Episodes per request, 1–1000; null: the server's default (50).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The episodes, oldest first.</returns>
    public async IAsyncEnumerable<Episode> ListEpisodesAsync(
        string agentId,
        EpisodeFilter? filter = null,
        int? pageSize = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await GetEpisodePageAsync(agentId, filter, pageSize, cursor, cancellationToken);
            foreach (var episode in page.Episodes)
            {
                yield return episode;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>One page of the agent's episodes, oldest first (<c>GET /v1/memory/episodic/{agent_id}</c>), for callers that keep the cursor themselves.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="filter">Session, type and time filters; null: all.</param>
    /// <param name="limit">Episodes in the page, 1–1000; null: the server's default (50).</param>
    /// <param name="cursor">The <see cref="EpisodePage.NextCursor"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page and the cursor of the next one.</returns>
    public Task<EpisodePage> GetEpisodePageAsync(string agentId, EpisodeFilter? filter = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = Query(
            ("session_id", filter?.SessionId),
            ("type", filter?.Type is { } type ? EpisodeTypeName(type) : null),
            ("from", Instant(filter?.From)),
            ("to", Instant(filter?.To)),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)),
            ("cursor", cursor));
        return _http.SendAsync(HttpMethod.Get, Path("v1/memory/episodic", agentId) + query, null, MnemoraJsonContext.Default.EnvelopeEpisodePage, cancellationToken);
    }

    /// <summary>
    /// Replays a session's episodes in time order (<c>GET /v1/memory/episodic/{agent_id}/sessions/{session_id}</c>),
    /// page by page as the enumeration goes (each page ends at 1,000 episodes or about 4 MB; the cursor continues); empty when the session has none.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The session's episodes in time order.</returns>
    public async IAsyncEnumerable<Episode> ReplaySessionAsync(string agentId, string sessionId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await _http.SendAsync(
                HttpMethod.Get,
                Path("v1/memory/episodic", agentId, "sessions", sessionId) + Query(("cursor", cursor)),
                null,
                MnemoraJsonContext.Default.EnvelopeEpisodePage,
                cancellationToken);
            foreach (var episode in page.Episodes)
            {
                yield return episode;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>Summarises episodes into a semantic memory (<c>POST /v1/memory/episodic/{agent_id}/summarize</c>) and returns it.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">Only this session's episodes.</param>
    /// <param name="from">Only episodes at or after this time.</param>
    /// <param name="to">Only episodes at or before this time.</param>
    /// <param name="numEpisodes">At most this many (the newest).</param>
    /// <param name="namespace">The namespace of the summary memory.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The summary, stored as a semantic memory.</returns>
    public Task<SemanticMemory> SummarizeEpisodesAsync(
        string agentId,
        string? sessionId = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        int? numEpisodes = null,
        string? @namespace = null,
        CancellationToken cancellationToken = default)
    {
        var body = new SummarizeRequest(sessionId, from?.ToUniversalTime(), to?.ToUniversalTime(), numEpisodes, @namespace);
        return _http.SendAsync(HttpMethod.Post, Path("v1/memory/episodic", agentId, "summarize"), MnemoraHttp.Json(body, MnemoraJsonContext.Default.SummarizeRequest), MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken);
    }

    // ---- The whole agent ----

    /// <summary>
    /// Writes a memory of whichever kind its shape says (<c>POST /v1/memory</c>): state, an episode or a
    /// semantic memory (<see cref="MemoryWrite.Kind"/>). The typed methods are clearer when the kind is known.
    /// </summary>
    /// <param name="memory">What to write.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was written, as its kind's record.</returns>
    public async Task<StoredMemory> StoreAsync(MemoryWrite memory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var content = MnemoraHttp.Json(memory, MnemoraJsonContext.Default.MemoryWrite);
        return memory.Kind switch
        {
            MemoryType.State => new StoredMemory(MemoryType.State, await _http.SendAsync(HttpMethod.Post, "v1/memory", content, MnemoraJsonContext.Default.EnvelopeAgentState, cancellationToken), null, null),
            MemoryType.Episodic => new StoredMemory(MemoryType.Episodic, null, await _http.SendAsync(HttpMethod.Post, "v1/memory", content, MnemoraJsonContext.Default.EnvelopeEpisode, cancellationToken), null),
            _ => new StoredMemory(MemoryType.Semantic, null, null, await _http.SendAsync(HttpMethod.Post, "v1/memory", content, MnemoraJsonContext.Default.EnvelopeSemanticMemory, cancellationToken)),
        };
    }

    /// <summary>An agent's memory at a glance (<c>GET /v1/memory/{agent_id}</c>): its default state, newest semantic memories and newest episodes.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's memory overview.</returns>
    public Task<AgentMemory> GetAgentMemoryAsync(string agentId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, Path("v1/memory", agentId), null, MnemoraJsonContext.Default.EnvelopeAgentMemory, cancellationToken);

    /// <summary>Searches semantic memories and episodes together (<c>POST /v1/memory/search</c>).</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="agentId">Only this agent's memories; null: the whole tenant's.</param>
    /// <param name="topK">At most this many results; the server's default is 10.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The hits, best first, each saying its kind.</returns>
    public async Task<IReadOnlyList<MemorySearchResult>> SearchAllMemoryAsync(string query, string? agentId = null, int? topK = null, CancellationToken cancellationToken = default)
    {
        var body = new SearchAllRequest(query, agentId, topK);
        var results = await _http.SendAsync(HttpMethod.Post, "v1/memory/search", MnemoraHttp.Json(body, MnemoraJsonContext.Default.SearchAllRequest), MnemoraJsonContext.Default.EnvelopeMemorySearchResults, cancellationToken);
        return results.Results;
    }

    /// <summary>
    /// Deletes everything of an agent in every store, cold episodes included (<c>DELETE /v1/memory/{agent_id}</c>):
    /// the GDPR right to erasure. A second purge reports zeros.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was deleted, per store.</returns>
    public Task<PurgeResult> PurgeAgentAsync(string agentId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, Path("v1/memory", agentId), null, MnemoraJsonContext.Default.EnvelopePurgeResult, cancellationToken);

    // ---- Export and import ----

    /// <summary>
    /// Opens the export of an agent (<c>GET /v1/memory/{agent_id}/export</c>): every state record, episode
    /// (hot and cold) and semantic memory as NDJSON, streamed as the server reads its stores. Copy it to a
    /// file, or give it to <see cref="ImportAsync"/>. <see cref="NotFoundException"/> when the agent has no memories.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="includeEmbeddings">False leaves the vectors out (a third of the size; the import embeds again).</param>
    /// <param name="cancellationToken">Cancels opening the export; reads take their own token.</param>
    /// <returns>The NDJSON body; disposing it ends the transfer.</returns>
    public Task<Stream> ExportAgentAsync(string agentId, bool includeEmbeddings = true, CancellationToken cancellationToken = default) =>
        _http.OpenStreamAsync(Path("v1/memory", agentId, "export") + Embeddings(includeEmbeddings), Ndjson.MediaType, cancellationToken);

    /// <summary>
    /// The export of an agent (<c>GET /v1/memory/{agent_id}/export</c>) line by line as it streams: the
    /// header, one object per record (<c>memory_type</c> says its kind), then the end line with the counts.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="includeEmbeddings">False leaves the vectors out.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The lines of the export, in order.</returns>
    public async IAsyncEnumerable<JsonObject> ReadAgentExportAsync(string agentId, bool includeEmbeddings = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var export = await ExportAgentAsync(agentId, includeEmbeddings, cancellationToken);
        await foreach (var line in Ndjson.ReadAsync(export, cancellationToken))
        {
            yield return line;
        }
    }

    /// <summary>
    /// Imports an export into this tenant (<c>POST /v1/memory/import</c>), streamed from <paramref name="export"/>.
    /// The server validates the whole file before writing anything: a bad line is a <see cref="ValidationException"/>
    /// that names it. Importing the same file again duplicates nothing. A retry needs a seekable stream (a file).
    /// </summary>
    /// <param name="export">The NDJSON export from its current position, e.g. a file or <see cref="ExportAgentAsync"/>'s stream; read to its end, left open.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was imported and skipped.</returns>
    public Task<ImportResult> ImportAsync(Stream export, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(export);
        return _http.SendAsync(HttpMethod.Post, "v1/memory/import", new ImportContent(export, Ndjson.MediaType), MnemoraJsonContext.Default.EnvelopeImportResult, cancellationToken);
    }

    // ---- Wire helpers ----

    /// <summary>A relative path of escaped segments: an id with <c>/</c> stays one segment (and the server refuses it); <c>.</c> and <c>..</c> are refused here.</summary>
    internal static string Path(string root, params ReadOnlySpan<string> segments)
    {
        var path = new StringBuilder(root);
        foreach (var segment in segments)
        {
            ArgumentNullException.ThrowIfNull(segment);
            if (segment is "." or "..")
            {
                // Every HTTP stack removes such dot-segments from a path, so the request would reach another route.
                throw new ArgumentException($"'{segment}' is not a valid identifier: the API refuses '.' and '..', and a URL path cannot carry them.", nameof(segments));
            }

            path.Append('/').Append(Uri.EscapeDataString(segment));
        }

        return path.ToString();
    }

    internal static string Query(params ReadOnlySpan<(string Name, string? Value)> parameters)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return query.ToString();
    }

    internal static string Embeddings(bool include) => include ? "" : "?embeddings=false";

    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private static string? Instant(DateTimeOffset? instant) =>
        instant?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string EpisodeTypeName(EpisodeType type) => type switch
    {
        EpisodeType.Conversation => "conversation",
        EpisodeType.Action => "action",
        EpisodeType.Observation => "observation",
        EpisodeType.ToolCall => "tool_call",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown episode type."),
    };

    internal static int? TtlHours(TimeSpan? timeToLive)
    {
        if (timeToLive is not { } ttl)
        {
            return null;
        }

        if (ttl.Ticks % TimeSpan.TicksPerHour != 0 || ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), ttl, "The API keeps state for whole hours: give a positive whole number of hours.");
        }

        return (int)Math.Min(ttl.TotalHours, int.MaxValue);
    }
}
