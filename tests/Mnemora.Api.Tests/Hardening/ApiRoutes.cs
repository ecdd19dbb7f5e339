using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>A route of the OpenAPI document: <c>GET /v1/state/{agentId}</c>.</summary>
public sealed record ApiRoute(string Method, string Path)
{
    public override string ToString() => $"{Method} {Path}";

    /// <summary>The names of the path's parameters, in order.</summary>
    public IReadOnlyList<string> Parameters => [.. Path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}'))];

    /// <summary>True when the route takes a JSON body in the document.</summary>
    public bool HasBody { get; init; }

    /// <summary>Reads every route under <c>/v1</c> from the running API's <c>/openapi/v1.json</c>.</summary>
    public static async Task<IReadOnlyList<ApiRoute>> ReadTenantRoutesAsync(HttpClient api, CancellationToken cancellationToken)
    {
        var document = JsonNode.Parse(await api.GetStringAsync("/openapi/v1.json", cancellationToken))!;
        var routes = new List<ApiRoute>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (!path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "patch" or "delete")
                {
                    routes.Add(new ApiRoute(method.ToUpperInvariant(), path) { HasBody = operation?["requestBody"] is not null });
                }
            }
        }

        return routes;
    }
}

/// <summary>Normalises a response for "same shape" comparisons: status, media type and JSON, without per-request values.</summary>
public static class ResponseShape
{
    private static readonly HashSet<string> s_volatile = new(StringComparer.Ordinal)
    {
        "meta", "traceId", "trace_id", "request_id", "latency_ms", "id", "created_at", "updated_at", "timestamp", "expires_at",
    };

    public static async Task<string> OfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = body.Length == 0 ? "" : Normalise(JsonNode.Parse(body))?.ToJsonString() ?? "null";
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
