using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>What a fuzzed request aims at: the fuzzing tenant's seeded agent, sessions and memory, and a victim tenant.</summary>
public sealed record FuzzTargets(string AgentId, IReadOnlyList<string> Sessions, IReadOnlyList<string> MemoryIds, string VictimTenantId);

/// <summary>One hostile request, and the defect that must make the API refuse it (when it writes).</summary>
public sealed record FuzzRequest(string Route, string Method, string PathAndQuery, string Defect, string? ContentType, byte[]? Body, string? Authorization, IReadOnlyList<(string Name, string Value)> Headers)
{
    /// <summary>The request, sent with <paramref name="apiKey"/> unless it carries a broken Authorization of its own.</summary>
    public HttpRequestMessage ToMessage(string apiKey)
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery);
        message.Headers.Authorization = Authorization is null ? new AuthenticationHeaderValue("Bearer", apiKey) : null;
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.ContentType = null;
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        if (Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "(no body)" : Body.Length > 300
            ? $"{Body.Length} bytes: {Escape(Body.AsSpan(0, 300))}…"
            : Escape(Body);
        var target = PathAndQuery.Length > 400 ? PathAndQuery[..400] + "…" : PathAndQuery;
        return $"[{Defect}] {Method} {target} Content-Type: {ContentType ?? "(none)"} {body}";

        static string Escape(ReadOnlySpan<byte> bytes) => string.Concat(bytes.ToArray().Select(b => b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}"));
    }
}

/// <summary>
/// Generates hostile requests for any route of the OpenAPI document. Each carries at least one
/// defect the contract refuses (an invalid identifier in the path, query or body, a value of the
/// wrong JSON type, a number out of range, JSON that is too deep, not UTF-8, not JSON or not an
/// object, a wrong content type), on top of noise aimed at someone else's data (another
/// tenant's id in a header, query and body, injection payloads in free text).
/// </summary>
public static class HostileInput
{
    /// <summary>
    /// Values no identifier may take: <c>#</c>, control characters (C0, DEL, C1), more than 256 characters or
    /// 256 UTF-8 bytes. Never a bare <c>.</c>/<c>..</c>: HTTP stacks resolve those in paths. (Lone surrogates are
    /// refused too, but an HTTP client replaces them before they reach the wire; the unit tests cover them.)
    /// </summary>
    public static readonly string[] InvalidIds =
    [
        "a#b", "#", "t-victim#agent", "STATE#x", "a\u0000b", "a\nb", "a\r\nX-Tenant-Id: x", "a\tb", "a\u007Fb", "a\u0085b", "\u009B31m",
        new string('a', 257), new string('x', 4000), new string('é', 129), string.Concat(Enumerable.Repeat("名", 86)),
    ];

    /// <summary>Hostile text that is valid as free text (content, data values): it must be stored as text, never run.</summary>
    public static readonly string[] Payloads =
    [
        "'; DROP TABLE semantic_memories; --", "' OR '1'='1' --", "1; SELECT pg_sleep(10)", "\") OR 1=1; --", "$where: '1 == 1'", "{\"$gt\": \"\"}",
        "${jndi:ldap://127.0.0.1/a}", "{{7*7}}", "<script>alert(1)</script>", "%s%s%s%n", "\r\n[ERROR] forged log line", "../../../../etc/passwd",
        "\u202Egnp.exe", "a\u200Bb", "Z̸̢͉a̵l̷g̶o̵", "🙂👩‍👩‍👧‍👦", "null", "undefined", "NaN", "-0", "1e400", new string('x', 10_000), "tenant_id", "t-victim",
    ];

    private const string IdChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@";
    private const string ForbiddenChars = "#\u0000\u0001\u001F\u007F\u0080\u0085\u009F\n\t\r";
    private const string Raw = "@@raw@@";

    /// <summary>An identifier that breaks the rules: from the list, or valid characters around a forbidden one.</summary>
    public static Gen<string> InvalidId { get; } = Gen.Frequency(
        (3, Gen.OneOf(InvalidIds)),
        (2, Gen.Select(Gen.Char[IdChars].Array[0, 20], Gen.Char[ForbiddenChars], Gen.Char[IdChars].Array[0, 20], (a, c, b) => new string(a) + c + new string(b))));

    private static readonly string[] s_defects =
        ["path-id", "query-id", "body-id", "wrong-type", "huge-number", "deep-json", "invalid-utf8", "bad-syntax", "not-an-object", "content-type"];

    private static readonly string[] s_syntax =
        ["truncated", "trailing-garbage", "comment", "trailing-comma", "single-quotes", "unquoted-key", "nan-literal", "nul-byte", "two-documents"];

    private static readonly string[] s_contentTypes =
        ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", "", "application/json; charset=utf-16"];

    private static readonly string[] s_badAuthorization =
        ["Bearer", "Basic dXNlcjpwYXNz", "Bearer mnm_", "Bearer mnm_' OR '1'='1", "Bearer ../../etc/passwd", "Bearer null", "mnm_abc"];

    /// <summary>A hostile request to one of the routes.</summary>
    public static Gen<FuzzRequest> Requests(IReadOnlyList<ApiRoute> routes, FuzzTargets targets) =>
        Gen.Select(
            Gen.Int[0, routes.Count - 1],
            Gen.Int[0, s_defects.Length - 1],
            Gen.Int[0, 1000],
            InvalidId,
            Gen.OneOf(Payloads),
            Gen.Int[65, 5000],
            Gen.Int[0, 1000],
            Gen.Int[0, 99],
            (route, defect, slot, badId, payload, depth, pick, noise) =>
                Build(routes[route], s_defects[defect], slot, badId, payload, depth, pick, noise, targets));

    private static FuzzRequest Build(ApiRoute route, string defect, int slot, string badId, string payload, int depth, int pick, int noise, FuzzTargets targets)
    {
        // Routes without a body take the defect in the path or the query instead.
        if (!route.HasBody && defect is not ("path-id" or "query-id"))
        {
            defect = route.Parameters.Count > 0 && slot % 2 == 0 ? "path-id" : "query-id";
        }

        if (defect == "path-id" && route.Parameters.Count == 0)
        {
            defect = "query-id";
        }

        var idProperties = route.BodyProperties.Keys.Where(IsIdProperty).ToList();
        var typed = route.BodyProperties.Where(p => p.Value != JsonKind.Any).ToList();
        var numbers = route.BodyProperties.Where(p => p.Value is JsonKind.Integer or JsonKind.Number).ToList();
        defect = defect switch
        {
            "body-id" when idProperties.Count == 0 => "not-an-object",
            "wrong-type" when typed.Count == 0 => "not-an-object",
            "huge-number" when numbers.Count == 0 => "bad-syntax",
            _ => defect,
        };

        var segments = route.Parameters.ToDictionary(p => p, p => TargetFor(p, pick, targets), StringComparer.Ordinal);
        var query = new List<(string Name, string Value)>();
        if (noise % 3 == 0)
        {
            query.Add(("tenant_id", targets.VictimTenantId));
        }

        // Noise in the other query parameters; long values go in bodies (a request line past 8 KB is the server's 414, not the app's).
        foreach (var name in route.Query.Where(q => q is not ("agent_id" or "session_id" or "namespace")).Take(noise % 4))
        {
            query.Add((name, payload.Length > 200 ? payload[..200] : payload));
        }

        var body = route.HasBody ? PlausibleBody(route, payload, pick, targets) : null;
        if (body is not null && noise % 2 == 0)
        {
            body["tenant_id"] = targets.VictimTenantId;
            body["x-" + (noise % 7)] = payload;
        }

        string? rawValue = null;
        byte[]? invalidBytes = null;
        var contentType = "application/json";
        string? replaceBody = null;
        switch (defect)
        {
            case "path-id":
                segments[route.Parameters[slot % route.Parameters.Count]] = badId;
                break;
            case "query-id":
                var names = ((string[])["agent_id", "session_id", "namespace"]).Where(n => !route.Parameters.Contains(n)).ToList();
                query.Add((names[slot % names.Count], badId));
                break;
            case "body-id":
                body![idProperties[slot % idProperties.Count]] = badId;
                break;
            case "wrong-type":
                var (name, kind) = typed[slot % typed.Count];
                body![name] = Raw;
                rawValue = WrongType(kind, pick);
                break;
            case "huge-number":
                body![numbers[slot % numbers.Count].Key] = Raw;
                rawValue = ((string[])["1e400", "-1e400", "123456789012345678901234567890", "-123456789012345678901234567890", "\"abc\"", "\"1 OR 1=1\""])[pick % 6];
                break;
            case "deep-json":
                var deep = new string('[', depth) + new string(']', depth);
                if (slot % 2 == 0 || body!.Count == 0)
                {
                    replaceBody = slot % 4 == 0 ? deep : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                }
                else
                {
                    body[body.ElementAt(slot % body.Count).Key] = Raw;
                    rawValue = deep;
                }

                break;
            case "invalid-utf8":
                var texts = route.BodyProperties.Where(p => p.Value is JsonKind.String or JsonKind.Any).ToList();
                if (texts.Count == 0)
                {
                    replaceBody = "[]";
                    break;
                }

                var (textName, textKind) = texts[slot % texts.Count];
                // Inside a JSON value (data, content) the bad bytes sit in a nested string, where they are stored as they come unless refused.
                body![textName] = textKind == JsonKind.Any ? new JsonObject { ["k"] = Raw } : Raw;
                invalidBytes = ((byte[][])[[0xC3, 0x28], [0xFF, 0xFE], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0x80]])[pick % 6];
                break;
            case "not-an-object":
                // An optional body may be absent or null: only what is neither counts as a defect there.
                string[] notObjects = route.BodyRequired ? ["[]", "42", "\"text\"", "null", "true", "", " ", "[{}]"] : ["[]", "42", "\"text\"", "true", "[{}]"];
                replaceBody = notObjects[pick % notObjects.Length];
                break;
            case "content-type":
                contentType = s_contentTypes[pick % s_contentTypes.Length];
                break;
        }

        var path = route.Path;
        foreach (var (name, value) in segments)
        {
            path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        }

        if (query.Count > 0)
        {
            path += "?" + string.Join('&', query.Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(q.Value)}"));
        }

        byte[]? bytes = null;
        if (route.HasBody)
        {
            var text = replaceBody ?? body!.ToJsonString();
            if (defect == "bad-syntax")
            {
                text = BreakSyntax(text, pick, slot);
            }

            if (rawValue is not null)
            {
                text = text.Replace($"\"{Raw}\"", rawValue, StringComparison.Ordinal);
            }

            bytes = Encoding.UTF8.GetBytes(text);
            if (invalidBytes is not null)
            {
                bytes = Splice(bytes, Encoding.UTF8.GetBytes(Raw), invalidBytes);
            }
        }

        var headers = new List<(string, string)> { ("X-Tenant-Id", targets.VictimTenantId) };
        if (noise % 5 == 0)
        {
            headers.Add(("X-Forwarded-Host", "evil.example"));
        }

        var authorization = noise < 4 ? s_badAuthorization[pick % s_badAuthorization.Length] : null;
        return new FuzzRequest(route.ToString(), route.Method, path, authorization is null ? defect : "bad-key", route.HasBody ? (contentType.Length == 0 ? null : contentType) : null, bytes, authorization, headers);
    }

    private static bool IsIdProperty(string name) => name is "agent_id" or "session_id" or "namespace";

    /// <summary>A path value that names the fuzzing tenant's own data, so that a request that slipped through would change it.</summary>
    private static string TargetFor(string parameter, int pick, FuzzTargets targets) =>
        parameter.Contains("session", StringComparison.OrdinalIgnoreCase) ? targets.Sessions[pick % targets.Sessions.Count]
        : parameter == "id" ? targets.MemoryIds[pick % targets.MemoryIds.Count]
        : targets.AgentId;

    /// <summary>A body that would be accepted but for its defect: the target's ids and plausible values for each property.</summary>
    private static JsonObject PlausibleBody(ApiRoute route, string payload, int pick, FuzzTargets targets)
    {
        var body = new JsonObject();
        foreach (var (name, kind) in route.BodyProperties)
        {
            body[name] = name switch
            {
                "agent_id" => targets.AgentId,
                "session_id" => targets.Sessions[pick % targets.Sessions.Count],
                "namespace" => "default",
                "type" => "observation",
                "data" => new JsonObject { ["note"] = payload },
                "content" or "query" => payload,
                "metadata" or "metadata_filter" => new JsonObject { [payload.Length > 100 ? "k" : payload] = payload },
                "version" => 1,
                "ttl_hours" => 1,
                "top_k" or "num_episodes" => 5,
                "threshold" => 0.1,
                "mode" => "hybrid",
                "filter" => new JsonObject { ["$or"] = new JsonArray(new JsonObject { ["k"] = new JsonObject { ["$in"] = new JsonArray(payload) } }, new JsonObject { ["n"] = new JsonObject { ["$gte"] = 1 } }) },
                "created_after" or "created_before" => "2026-01-01T00:00:00Z",
                _ => kind switch
                {
                    JsonKind.String => payload,
                    JsonKind.Integer => 1,
                    JsonKind.Number => 0.5,
                    JsonKind.Boolean => true,
                    JsonKind.Array => new JsonArray(),
                    _ => new JsonObject(),
                },
            };
        }

        return body;
    }

    private static string WrongType(JsonKind kind, int pick) => kind switch
    {
        JsonKind.String => ((string[])["123", "{}", "[\"a\"]", "true", "1e400"])[pick % 5],
        JsonKind.Integer => ((string[])["\"abc\"", "1.5", "{}", "[1]", "true", "\"\""])[pick % 6],
        JsonKind.Number => ((string[])["\"abc\"", "{}", "[0.5]", "true"])[pick % 4],
        JsonKind.Boolean => ((string[])["\"yes\"", "1", "{}"])[pick % 3],
        JsonKind.Object => ((string[])["\"text\"", "[]", "42", "true"])[pick % 4],
        _ => ((string[])["{}", "\"text\"", "42"])[pick % 3],
    };

    private static string BreakSyntax(string json, int pick, int slot) => s_syntax[pick % s_syntax.Length] switch
    {
        "truncated" => json[..Math.Max(1, slot % Math.Max(1, json.Length - 1))],
        "trailing-garbage" => json + ((string[])["}", "x", ",", "]]", "\u0000"])[slot % 5],
        "comment" => json.Insert(1, "/* hi */"),
        "trailing-comma" => json.Length > 2 ? json[..^1] + ",}" : "{,}",
        "single-quotes" => json.Replace('"', '\''),
        "unquoted-key" => json.Length > 2 ? "{zz:1," + json[1..] : "{zz:1}",
        "nan-literal" => json.Length > 2 ? "{\"zz\":NaN," + json[1..] : "{\"zz\":NaN}",
        "nul-byte" => json.Insert(json.Length / 2, "\u0000"),
        _ => json + json,
    };

    private static byte[] Splice(byte[] bytes, byte[] marker, byte[] replacement)
    {
        var at = bytes.AsSpan().IndexOf(marker);
        return at < 0 ? bytes : [.. bytes.AsSpan(0, at), .. replacement, .. bytes.AsSpan(at + marker.Length)];
    }
}
