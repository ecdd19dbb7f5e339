using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mnemora.Storage.Audit;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Transfer;

/// <summary>
/// The export format (docs/export-format.md): NDJSON, a header line, one line per record with its
/// <c>memory_type</c>, and an end line with the counts, so a truncated file is recognisable.
/// </summary>
internal static class ExportFormat
{
    public const string Name = "mnemora-export";
    public const int Version = 1;
    public const string MediaType = "application/x-ndjson";

    /// <summary>Embeddings are the 384 float32 values, little-endian, base64: exact and a third of a JSON array's size.</summary>
    public const string EmbeddingEncoding = "f32le-base64";

    public const string State = "state";
    public const string Episode = "episode";
    public const string Semantic = "semantic";

    /// <summary>A tenant export's audit events: lines of their own (<c>{"audit_event": {..}}</c>), not memories; an import skips them.</summary>
    public const string Audit = "audit_event";

    /// <summary>Every time in the format: UTC, microseconds, <c>Z</c> (what the stores keep).</summary>
    public static string Time(DateTime utc) => utc.ToUniversalTime().ToString(EpisodePosition.TimestampFormat, CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset value) => EpisodePosition.FormatTimestamp(value);
}

/// <summary>One record of an export.</summary>
internal abstract record ExportRecord;

internal sealed record StateExport(StateRecord State) : ExportRecord;

internal sealed record EpisodeExport(string AgentId, EpisodeRecord Episode) : ExportRecord;

internal sealed record SemanticExport(SemanticExportRow Row) : ExportRecord;

internal sealed record AuditExport(AuditEvent Event) : ExportRecord;

/// <summary>What the header line says about the export.</summary>
internal sealed record ExportHeader(string Scope, string? TenantId, string? AgentId, DateTimeOffset ExportedAt, bool Embeddings);

/// <summary>Writes an export to a pipe (the response body), flushing every <see cref="FlushBytes"/>: memory stays bounded whatever the size.</summary>
internal sealed class ExportWriter(PipeWriter output) : IAsyncDisposable
{
    private const int FlushBytes = 64 * 1024;
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    private readonly Utf8JsonWriter _json = new(output, s_options);
    private long _unflushed;
    private long _state;
    private long _episodes;
    private long _semantic;
    private long _audit;

    public async ValueTask WriteHeaderAsync(ExportHeader header, CancellationToken cancellationToken)
    {
        _json.WriteStartObject();
        _json.WriteString("format", ExportFormat.Name);
        _json.WriteNumber("format_version", ExportFormat.Version);
        _json.WriteString("scope", header.Scope);
        if (header.TenantId is not null)
        {
            _json.WriteString("tenant_id", header.TenantId);
        }

        if (header.AgentId is not null)
        {
            _json.WriteString("agent_id", header.AgentId);
        }

        _json.WriteString("exported_at", ExportFormat.Time(header.ExportedAt));
        if (header.Embeddings)
        {
            _json.WriteString("embedding_encoding", ExportFormat.EmbeddingEncoding);
            _json.WriteNumber("embedding_dimensions", SemanticSchema.Dimensions);
        }
        else
        {
            _json.WriteNull("embedding_encoding");
        }

        _json.WriteEndObject();
        await EndLineAsync(cancellationToken);
    }

    public ValueTask WriteAsync(ExportRecord record, CancellationToken cancellationToken)
    {
        switch (record)
        {
            case StateExport { State: var state }:
                WriteState(state);
                _state++;
                break;
            case EpisodeExport { AgentId: var agentId, Episode: var episode }:
                WriteEpisode(agentId, episode);
                _episodes++;
                break;
            case SemanticExport { Row: var row }:
                WriteSemantic(row);
                _semantic++;
                break;
            case AuditExport { Event: var entry }:
                WriteAudit(entry);
                _audit++;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(record), record, "Unknown export record.");
        }

        return EndLineAsync(cancellationToken);
    }

    /// <summary>The end line: its counts let an import tell a complete file from a truncated one.</summary>
    public async ValueTask WriteEndAsync(CancellationToken cancellationToken)
    {
        _json.WriteStartObject();
        _json.WriteBoolean("end", true);
        _json.WriteNumber("records", _state + _episodes + _semantic);
        _json.WriteStartObject("counts");
        _json.WriteNumber(ExportFormat.State, _state);
        _json.WriteNumber(ExportFormat.Episode, _episodes);
        _json.WriteNumber(ExportFormat.Semantic, _semantic);
        _json.WriteNumber(ExportFormat.Audit, _audit);
        _json.WriteEndObject();
        _json.WriteEndObject();
        await EndLineAsync(cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();

    private void WriteState(StateRecord state)
    {
        _json.WriteStartObject();
        _json.WriteString("memory_type", ExportFormat.State);
        _json.WriteString("agent_id", state.AgentId);
        _json.WriteString("session_id", state.SessionId);
        _json.WritePropertyName("data");
        _json.WriteRawValue(state.DataJson, skipInputValidation: true);
        _json.WriteNumber("version", state.Version);
        _json.WriteString("created_at", state.CreatedAt);
        _json.WriteString("updated_at", state.UpdatedAt);
        if (state.ExpiresAt is { } expiresAt)
        {
            _json.WriteString("expires_at", expiresAt);
        }
        else
        {
            _json.WriteNull("expires_at");
        }

        _json.WriteEndObject();
    }

    private void WriteEpisode(string agentId, EpisodeRecord episode)
    {
        _json.WriteStartObject();
        _json.WriteString("memory_type", ExportFormat.Episode);
        _json.WriteString("id", episode.Id);
        _json.WriteString("agent_id", agentId);
        _json.WriteString("session_id", episode.SessionId);
        _json.WriteString("type", episode.Type);
        _json.WritePropertyName("content");
        _json.WriteRawValue(episode.ContentJson, skipInputValidation: true);
        _json.WritePropertyName("metadata");
        _json.WriteRawValue(episode.MetadataJson, skipInputValidation: true);
        _json.WriteString("timestamp", episode.Timestamp);
        _json.WriteEndObject();
    }

    private void WriteSemantic(SemanticExportRow row)
    {
        var memory = row.Memory;
        _json.WriteStartObject();
        _json.WriteString("memory_type", ExportFormat.Semantic);
        _json.WriteString("id", memory.Id);
        _json.WriteString("agent_id", memory.AgentId);
        _json.WriteString("namespace", memory.Namespace);
        _json.WriteString("content", memory.Content);
        _json.WritePropertyName("metadata");
        // jsonb's text form: valid JSON on one line.
        _json.WriteRawValue(memory.MetadataJson, skipInputValidation: true);
        _json.WriteString("created_at", ExportFormat.Time(memory.CreatedAt));
        _json.WriteString("updated_at", ExportFormat.Time(memory.UpdatedAt));
        if (row.Embedding is { } embedding)
        {
            _json.WriteBase64String("embedding", EmbeddingCodec.Encode(embedding));
        }

        _json.WriteEndObject();
    }

    /// <summary>What the audit route shows of an event: ids, times, outcome and counts; never content, never a key.</summary>
    private void WriteAudit(AuditEvent entry)
    {
        _json.WriteStartObject();
        _json.WriteStartObject(ExportFormat.Audit);
        _json.WriteString("id", entry.Id);
        _json.WriteString("at", ExportFormat.Time(entry.At));
        _json.WriteString("action", entry.Action);
        _json.WriteString("actor", entry.Actor);
        _json.WriteString("request_id", entry.RequestId);
        _json.WriteString("outcome", entry.Outcome);
        _json.WriteStartObject("details");
        foreach (var (name, value) in entry.Details.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            _json.WriteString(name, value);
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    private async ValueTask EndLineAsync(CancellationToken cancellationToken)
    {
        _json.Flush();
        _unflushed += _json.BytesCommitted + 1;
        output.Write("\n"u8);
        _json.Reset(output);
        if (_unflushed >= FlushBytes)
        {
            _unflushed = 0;
            await output.FlushAsync(cancellationToken);
        }
    }
}

/// <summary>Embeddings in the format: float32 little-endian bytes.</summary>
internal static class EmbeddingCodec
{
    public static byte[] Encode(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    /// <summary>The vector, or null when the bytes are not <paramref name="dimensions"/> finite float32 values.</summary>
    public static float[]? Decode(ReadOnlySpan<byte> bytes, int dimensions)
    {
        if (bytes.Length != dimensions * sizeof(float))
        {
            return null;
        }

        var vector = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
            if (!float.IsFinite(vector[i]))
            {
                return null;
            }
        }

        return vector;
    }
}
