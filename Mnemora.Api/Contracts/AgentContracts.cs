using System.Text.Json;
using Mnemora.Api.Agents;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Contracts;

/// <summary><c>POST /v1/memory/search</c>: without <see cref="AgentId"/> only semantic memory is searched.</summary>
public sealed record MemorySearchRequest(
    [MemoryText(RequestLimits.MaxContentCharacters, AllowNul = true)] string? Query,
    [Identifier(Optional = true)] string? AgentId,
    [Between(1, RequestLimits.MaxTopK, Optional = true)] int? TopK,
    [Fraction(Optional = true)] double? Threshold);

public sealed record MemorySearchResponse(IReadOnlyList<MemorySearchResult> Results);

/// <summary>
/// One hit of the whole-agent search. <c>similarity_score</c> is the cosine similarity of the content to the query for
/// both kinds; <c>relevance</c> is a label: <c>text_match</c> when the query's words occur in the content,
/// <c>semantic_match</c> when it matched by meaning; <c>score</c> is what the list is ordered by (a text match scores
/// above 1, a match by meaning its similarity). A semantic memory carries <c>created_at</c>, an episode
/// <c>timestamp</c>, its <c>session_id</c> and <c>type</c>.
/// </summary>
public sealed record MemorySearchResult(
    string MemoryType,
    string Id,
    string AgentId,
    JsonElement Content,
    double? SimilarityScore,
    string? Relevance,
    JsonElement Metadata,
    DateTime? CreatedAt,
    string? Timestamp,
    string? SessionId,
    string? Type,
    double? Score)
{
    internal static MemorySearchResult From(MemoryMatch match, string? agentId)
    {
        if (match.Memory is { } memory)
        {
            return new MemorySearchResult("semantic", memory.Id.ToString(), memory.AgentId, JsonSerializer.SerializeToElement(memory.Content),
                match.Similarity, match.Relevance, MemoryJson.Parse(memory.MetadataJson), memory.CreatedAt, null, null, null, match.Score);
        }

        var episode = match.Episode!;
        return new MemorySearchResult("episodic", episode.Id, agentId!, MemoryJson.Parse(episode.ContentJson),
            match.Similarity, match.Relevance, MemoryJson.Parse(episode.MetadataJson), null, episode.Timestamp, episode.SessionId, episode.Type, match.Score);
    }
}

/// <summary>The whole-agent snapshot: default-session state (or null), newest semantic memories and newest episodes, newest first.</summary>
public sealed record AgentMemoryResponse(StateResponse? State, IReadOnlyList<SemanticResponse> Semantic, IReadOnlyList<EpisodeResponse> Episodic);

/// <summary>What a purge deleted, in both shapes the contract names: per store, and the flat totals.</summary>
public sealed record AgentPurgeResponse(string AgentId, TenantPurgeCounts Deleted, long StateDeleted, long SemanticDeleted, long EpisodesDeleted);

/// <summary>An agent with its live records per memory type (episodes hot and cold), for the operator.</summary>
public sealed record AgentSummary(string AgentId, long State, long Semantic, long Episodic);

public sealed record AgentListResponse(IReadOnlyList<AgentSummary> Agents);

/// <summary>The operator's purge of one agent: what it deleted per store.</summary>
public sealed record AgentPurgedResponse(string AgentId, TenantPurgeCounts Deleted);
