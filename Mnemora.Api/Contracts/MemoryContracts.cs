using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mnemora.Api.Http;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Contracts;

/// <summary><c>POST /v1/state</c>.</summary>
public sealed record CreateStateRequest(
    [Identifier] string? AgentId,
    JsonElement? Data,
    [Identifier(Optional = true)] string? SessionId,
    [Between(RequestLimits.MinTtlHours, RequestLimits.MaxTtlHours, Optional = true)] int? TtlHours);

/// <summary><c>PUT /v1/state/{agent_id}</c>: <see cref="Version"/> is the version the caller last read.</summary>
public sealed record UpdateStateRequest(
    JsonElement? Data,
    long? Version,
    [Identifier(Optional = true)] string? SessionId,
    [Between(RequestLimits.MinTtlHours, RequestLimits.MaxTtlHours, Optional = true)] int? TtlHours);

/// <summary>The contract's <c>StateResponse</c>; <see cref="Data"/> goes out as stored, not parsed per read.</summary>
public sealed record StateResponse(string AgentId, string SessionId, StoredJson Data, long Version, string CreatedAt, string UpdatedAt, string? ExpiresAt)
{
    public static StateResponse From(StateRecord record) => new(
        record.AgentId, record.SessionId, new StoredJson(record.DataJson), record.Version, record.CreatedAt, record.UpdatedAt, record.ExpiresAt);
}

public sealed record SessionsResponse(IReadOnlyList<string> Sessions);

/// <summary><c>POST /v1/memory/episodic</c>.</summary>
public sealed record CreateEpisodeRequest([Identifier] string? AgentId, [Identifier] string? SessionId, string? Type, JsonElement? Content, JsonElement? Metadata);

/// <summary>The contract's <c>EpisodeResponse</c>; the same whether the episode is hot or cold.</summary>
public sealed record EpisodeResponse(string Id, string AgentId, string SessionId, string Type, JsonElement Content, JsonElement Metadata, string Timestamp)
{
    public static EpisodeResponse From(string agentId, EpisodeRecord record) => new(
        record.Id, agentId, record.SessionId, record.Type, MemoryJson.Parse(record.ContentJson), MemoryJson.Parse(record.MetadataJson), record.Timestamp);
}

/// <summary><c>{"episodes": [...]}</c>, oldest first; <see cref="NextCursor"/> (an extension) continues a long history, null at its end.</summary>
public sealed record EpisodesResponse(IReadOnlyList<EpisodeResponse> Episodes, string? NextCursor);

/// <summary>JSON values as the stores keep them: compact text, non-ASCII kept as is (it is never put in HTML).</summary>
internal static class MemoryJson
{
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_compact))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
