using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Transfer;

/// <summary>One parsed, validated line of an import.</summary>
internal abstract record ImportLine;

internal sealed record ImportHeaderLine(int Version) : ImportLine;

internal sealed record ImportEndLine(long Records, long State, long Episodes, long Semantic) : ImportLine;

internal sealed record StateImport(StateRecord Record) : ImportLine;

/// <summary>An audit event of a tenant export: the exporting deployment's record, never written into the importing tenant's trail.</summary>
internal sealed record AuditLine : ImportLine;

internal sealed record EpisodeImport(string AgentId, EpisodeRecord Episode) : ImportLine;

internal sealed record SemanticImport(Guid Id, string AgentId, string Namespace, string Content, string MetadataJson, DateTime CreatedAt, DateTime UpdatedAt, float[]? Embedding) : ImportLine;

/// <summary>
/// Turns one line of an export into a validated record, by the same rules the routes apply (identifiers,
/// episode types, sizes), or throws the 400/413 that names the line. Tenant fields are ignored: the
/// tenant is the importing key's. Other unknown members are ignored too, for forward compatibility.
/// </summary>
internal static class ImportParser
{
    /// <summary>An imported episode may be at most this far in the future (clock skew between exporter and importer).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 128 };

    public static ImportLine Parse(NdjsonLine line, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Bytes, s_options);
        }
        catch (JsonException)
        {
            throw Invalid(line.Number, "is not valid JSON (UTF-8, one value per line).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(line.Number, "is not a JSON object.");
            }

            var reader = new LineReader(root, line.Number);
            if (root.TryGetProperty("memory_type", out var type))
            {
                return type.ValueKind == JsonValueKind.String ? type.GetString() switch
                {
                    ExportFormat.State => ParseState(reader),
                    ExportFormat.Episode => ParseEpisode(reader, now),
                    ExportFormat.Semantic => ParseSemantic(reader),
                    _ => throw reader.Invalid($"has an unknown memory_type; expected {ExportFormat.State}, {ExportFormat.Episode} or {ExportFormat.Semantic}."),
                } : throw reader.Invalid("has a memory_type that is not a string.");
            }

            if (root.TryGetProperty(ExportFormat.Audit, out var audit))
            {
                return audit.ValueKind == JsonValueKind.Object ? new AuditLine() : throw reader.Invalid($"has an '{ExportFormat.Audit}' that is not an object.");
            }

            if (root.TryGetProperty("format", out _))
            {
                return ParseHeader(reader);
            }

            if (root.TryGetProperty("end", out var end) && end.ValueKind == JsonValueKind.True)
            {
                var counts = reader.Object("counts");
                return new ImportEndLine(reader.Count(root, "records"), reader.Count(counts, ExportFormat.State),
                    reader.Count(counts, ExportFormat.Episode), reader.Count(counts, ExportFormat.Semantic));
            }

            throw reader.Invalid("has no memory_type (and is neither the header nor the end line).");
        }
    }

    public static ApiException Invalid(int line, string message) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.Validation, string.Create(CultureInfo.InvariantCulture, $"Line {line} {message} Nothing was imported."));

    private static ImportHeaderLine ParseHeader(LineReader reader)
    {
        if (reader.String("format") != ExportFormat.Name)
        {
            throw reader.Invalid($"is not a Mnemora export header: 'format' must be \"{ExportFormat.Name}\".");
        }

        if (!reader.Root.TryGetProperty("format_version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number))
        {
            throw reader.Invalid("lacks a numeric 'format_version'.");
        }

        return number == ExportFormat.Version
            ? new ImportHeaderLine(number)
            : throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"has format_version {number}; this server reads version {ExportFormat.Version}."));
    }

    private static StateImport ParseState(LineReader reader)
    {
        var agentId = reader.Id("agent_id");
        var sessionId = reader.Id("session_id");
        var data = reader.Root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object
            ? MemoryJson.Compact(d)
            : throw reader.Invalid("needs 'data', a JSON object.");
        if (Encoding.UTF8.GetByteCount(data) > StateStore.MaxDataBytes)
        {
            throw reader.TooLarge("'data'", StateStore.MaxDataBytes);
        }

        if (!reader.Root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var version) || version < 1)
        {
            throw reader.Invalid("needs 'version', an integer of at least 1.");
        }

        var expiresAt = reader.Root.TryGetProperty("expires_at", out var e) && e.ValueKind != JsonValueKind.Null ? reader.Time("expires_at") : (DateTimeOffset?)null;
        return new StateImport(new StateRecord(
            agentId,
            sessionId,
            data,
            version,
            ExportFormat.Time(reader.Time("created_at")),
            ExportFormat.Time(reader.Time("updated_at")),
            expiresAt is { } expiry ? ExportFormat.Time(expiry) : null));
    }

    private static EpisodeImport ParseEpisode(LineReader reader, DateTimeOffset now)
    {
        var id = reader.Uuid("id");
        var agentId = reader.Id("agent_id");
        var sessionId = reader.Id("session_id");
        var type = reader.String("type");
        if (!EpisodeTypes.IsValid(type))
        {
            throw reader.Invalid($"has an episode 'type' that is not one of {string.Join(", ", EpisodeTypes.All)}.");
        }

        var content = reader.Root.TryGetProperty("content", out var c) && c.ValueKind != JsonValueKind.Null
            ? MemoryJson.Compact(c)
            : throw reader.Invalid("needs 'content' (a string or any JSON value).");
        var metadata = reader.OptionalObject("metadata");
        if (Encoding.UTF8.GetByteCount(content) + Encoding.UTF8.GetByteCount(metadata) > EpisodeStore.MaxEpisodeBytes)
        {
            throw reader.TooLarge("An episode's 'content' and 'metadata'", EpisodeStore.MaxEpisodeBytes);
        }

        var timestamp = reader.Time("timestamp");
        if (timestamp > now + MaxClockSkew)
        {
            throw reader.Invalid("has a 'timestamp' in the future.");
        }

        return new EpisodeImport(agentId, new EpisodeRecord(id.ToString("D"), sessionId, type, content, metadata, ExportFormat.Time(timestamp)));
    }

    private static SemanticImport ParseSemantic(LineReader reader)
    {
        var id = reader.Uuid("id");
        var agentId = reader.Id("agent_id");
        var @namespace = reader.Root.TryGetProperty("namespace", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (Validate.Namespace(@namespace) is { } problem)
        {
            throw reader.Invalid(problem.Message);
        }

        var content = reader.String("content");
        if (string.IsNullOrWhiteSpace(content) || content.Contains('\0', StringComparison.Ordinal))
        {
            throw reader.Invalid("needs 'content', non-empty text without NUL characters.");
        }

        if (content.Length > RequestLimits.MaxContentCharacters)
        {
            throw reader.TooLarge("'content'", RequestLimits.MaxContentCharacters, "characters");
        }

        var metadata = reader.OptionalObject("metadata");
        if (Encoding.UTF8.GetByteCount(metadata) > RequestLimits.MaxMetadataBytes)
        {
            throw reader.TooLarge("'metadata'", RequestLimits.MaxMetadataBytes);
        }

        // jsonb holds no NUL character, in keys or strings.
        if (reader.Root.TryGetProperty("metadata", out var m) && HasNul(m))
        {
            throw reader.Invalid("has NUL characters in 'metadata'.");
        }

        float[]? embedding = null;
        if (reader.Root.TryGetProperty("embedding", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            embedding = e.ValueKind == JsonValueKind.String && e.TryGetBytesFromBase64(out var bytes)
                ? EmbeddingCodec.Decode(bytes, SemanticSchema.Dimensions)
                : null;
            if (embedding is null)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"has an 'embedding' that is not {SemanticSchema.Dimensions} finite float32 values ({ExportFormat.EmbeddingEncoding}); omit it to embed the content again."));
            }
        }

        return new SemanticImport(id, agentId, @namespace!, content, metadata,
            Microseconds(reader.Time("created_at")), Microseconds(reader.Time("updated_at")), embedding);
    }

    private static bool HasNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HasNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HasNul),
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>PostgreSQL keeps microseconds: the imported time is exactly what a later export shows.</summary>
    private static DateTime Microseconds(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    /// <summary>Field access on one line's object, with errors that name the line and the field.</summary>
    private readonly record struct LineReader(JsonElement Root, int Line)
    {
        public ApiException Invalid(string message) => ImportParser.Invalid(Line, message);

        public ApiException TooLarge(string what, int limit, string unit = "bytes") =>
            new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"Line {Line}: {what} is limited to {limit} {unit}. Nothing was imported."));

        public string String(string name) =>
            Root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw Invalid($"needs '{name}', a string.");

        public string Id(string name)
        {
            var value = Root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;
            return Validate.Id(value, name) is { } problem ? throw Invalid("has an invalid identifier: " + problem.Message) : value!;
        }

        public Guid Uuid(string name) =>
            Guid.TryParseExact(String(name), "D", out var id) ? id : throw Invalid($"needs '{name}', a UUID.");

        public DateTimeOffset Time(string name) =>
            Validate.TryParseInstant(String(name), out var time) ? time.Value : throw Invalid($"needs '{name}', an ISO 8601 timestamp.");

        public string OptionalObject(string name)
        {
            if (!Root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return "{}";
            }

            return value.ValueKind == JsonValueKind.Object ? MemoryJson.Compact(value) : throw Invalid($"has '{name}' that is not a JSON object.");
        }

        public JsonElement Object(string name) =>
            Root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : throw Invalid($"needs '{name}', a JSON object.");

        public long Count(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0
                ? count
                : throw Invalid($"needs a count '{name}'.");
    }
}
