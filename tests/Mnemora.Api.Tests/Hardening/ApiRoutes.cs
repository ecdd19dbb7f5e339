using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>The JSON type the OpenAPI document gives a body property; <see cref="Any"/> when it names none (a JSON value).</summary>
public enum JsonKind
{
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

/// <summary>A route of the OpenAPI document: <c>GET /v1/state/{agent_id}</c>, with its JSON body's properties when it takes one.</summary>
public sealed record ApiRoute(string Method, string Path)
{
    public override string ToString() => $"{Method} {Path}";

    /// <summary>The names of the path's parameters, in order.</summary>
    public IReadOnlyList<string> Parameters => [.. Path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}'))];

    /// <summary>The query parameters the document names.</summary>
    public IReadOnlyList<string> Query { get; init; } = [];

    /// <summary>True when the route takes a JSON body.</summary>
    public bool HasBody { get; init; }

    /// <summary>True when the body must be there (an optional one may be empty or <c>null</c>).</summary>
    public bool BodyRequired { get; init; }

    /// <summary>The body's properties and their JSON types.</summary>
    public IReadOnlyDictionary<string, JsonKind> BodyProperties { get; init; } = new Dictionary<string, JsonKind>();

    public bool IsSafe => Method == "GET";

    /// <summary>Reads every route under <c>/v1</c> from the running API's <c>/openapi/v1.json</c>.</summary>
    public static async Task<IReadOnlyList<ApiRoute>> ReadTenantRoutesAsync(HttpClient api, CancellationToken cancellationToken)
    {
        var document = JsonNode.Parse(await api.GetStringAsync("/openapi/v1.json", cancellationToken))!;
        var schemas = document["components"]?["schemas"]?.AsObject();
        var routes = new List<ApiRoute>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is not ("get" or "post" or "put" or "patch" or "delete"))
                {
                    continue;
                }

                var body = operation?["requestBody"]?["content"]?.AsObject().FirstOrDefault().Value?["schema"];
                var query = (operation?["parameters"]?.AsArray() ?? [])
                    .Where(p => p?["in"]?.GetValue<string>() == "query")
                    .Select(p => p!["name"]!.GetValue<string>())
                    .ToList();
                routes.Add(new ApiRoute(method.ToUpperInvariant(), path)
                {
                    HasBody = operation?["requestBody"] is not null,
                    BodyRequired = operation?["requestBody"]?["required"]?.GetValue<bool>() == true,
                    BodyProperties = Properties(Resolve(body, schemas), schemas),
                    Query = query,
                });
            }
        }

        return routes;
    }

    private static JsonNode? Resolve(JsonNode? schema, JsonObject? schemas)
    {
        for (var hops = 0; schema is not null && hops < 8; hops++)
        {
            if (schema["$ref"]?.GetValue<string>() is { } reference)
            {
                schema = schemas?[reference.Split('/')[^1]];
            }
            else if ((schema["oneOf"] ?? schema["anyOf"] ?? schema["allOf"]) is JsonArray choices)
            {
                schema = choices.FirstOrDefault(c => c?["type"]?.ToString() != "null");
            }
            else
            {
                return schema;
            }
        }

        return schema;
    }

    private static Dictionary<string, JsonKind> Properties(JsonNode? schema, JsonObject? schemas)
    {
        var properties = new Dictionary<string, JsonKind>(StringComparer.Ordinal);
        foreach (var (name, property) in schema?["properties"]?.AsObject() ?? [])
        {
            properties[name] = KindOf(Resolve(property, schemas));
        }

        return properties;
    }

    private static JsonKind KindOf(JsonNode? schema)
    {
        var types = schema?["type"] switch
        {
            JsonArray many => many.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList(),
            JsonValue one => [one.GetValue<string>()],
            _ => [],
        };
        // A number may also be sent as a numeric string (the web defaults allow it): still a number.
        if (types.Contains("integer"))
        {
            return JsonKind.Integer;
        }

        if (types.Contains("number"))
        {
            return JsonKind.Number;
        }

        return types.Count == 1
            ? types[0] switch
            {
                "string" => JsonKind.String,
                "boolean" => JsonKind.Boolean,
                "object" => JsonKind.Object,
                "array" => JsonKind.Array,
                _ => JsonKind.Any,
            }
            : JsonKind.Any;
    }
}

/// <summary>Normalises a response for "same shape" comparisons: status, media type and JSON, without per-request values.</summary>
public static class ResponseShape
{
    private static readonly HashSet<string> s_volatile = new(StringComparer.Ordinal)
    {
        "meta", "traceId", "trace_id", "request_id", "latency_ms", "id", "created_at", "updated_at", "timestamp", "expires_at",
    };

    private static readonly JsonSerializerOptions s_options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A text value as it appears inside a shape's JSON (so that an id can be swapped for another in a shape).</summary>
    public static string Encode(string value) => JsonSerializer.Serialize(value, s_options)[1..^1];

    public static async Task<string> OfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = body.Length == 0 ? "" : Normalise(JsonNode.Parse(body))?.ToJsonString(s_options) ?? "null";
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {json}";
    }

    private static JsonNode? Normalise(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var sorted = new JsonObject();
                foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sorted[name] = s_volatile.Contains(name) ? JsonValue.Create("~") : Normalise(value);
                }

                return sorted;
            case JsonArray array:
                return new JsonArray([.. array.Select(Normalise)]);
            default:
                return node?.DeepClone();
        }
    }

    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
