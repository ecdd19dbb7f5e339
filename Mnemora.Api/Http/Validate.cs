using Mnemora.Storage;

namespace Mnemora.Api.Http;

/// <summary>
/// Checks request values against the contract's rules before any store is touched. Each check
/// returns the 400 to send, or null when the value is fine:
/// <c>if (Validate.Id(request.AgentId, "agent_id") is { } problem) return problem;</c>
/// </summary>
public static class Validate
{
    /// <summary>An agent, session, tenant or key id: 1–256 letters, digits and <c>- _ . : @</c>; not <c>.</c> or <c>..</c>.</summary>
    public static ApiProblem? Id(string? value, string field) =>
        Identifiers.IsValidId(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{Identifiers.MaxIdLength} characters of letters, digits and - _ . : @ (and not '.' or '..').");

    /// <summary>A namespace: 1–128 letters, digits and <c>- _ . : @</c>; not <c>.</c> or <c>..</c>.</summary>
    public static ApiProblem? Namespace(string? value, string field = "namespace") =>
        Identifiers.IsValidNamespace(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{Identifiers.MaxNamespaceLength} characters of letters, digits and - _ . : @ (and not '.' or '..').");

    /// <summary>Free text shown to people (a name): 1–<paramref name="maxLength"/> characters, no control characters.</summary>
    public static ApiProblem? Text(string? value, string field, int maxLength = 200) =>
        value is { Length: > 0 } && value.Length <= maxLength && !value.Any(char.IsControl) && !string.IsNullOrWhiteSpace(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{maxLength} characters without control characters.");
}

/// <summary>
/// Refuses a request whose route or query carries an invalid <c>agent_id</c>, <c>session_id</c>,
/// <c>tenant_id</c>, <c>key_id</c> or <c>namespace</c>, before its handler runs. Declared once on a
/// route group; ids in bodies are checked by the handlers with <see cref="Validate"/>.
/// </summary>
public sealed class IdentifierValidationFilter : IEndpointFilter
{
    private static readonly string[] s_ids = ["agent_id", "session_id", "tenant_id", "key_id"];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        foreach (var name in s_ids)
        {
            if (Find(request, name, out var value) && Validate.Id(value, name) is { } problem)
            {
                return ValueTask.FromResult<object?>(problem);
            }
        }

        if (Find(request, "namespace", out var ns) && Validate.Namespace(ns) is { } nsProblem)
        {
            return ValueTask.FromResult<object?>(nsProblem);
        }

        return next(context);
    }

    private static bool Find(HttpRequest request, string name, out string? value)
    {
        if (request.RouteValues.TryGetValue(name, out var routeValue))
        {
            value = routeValue as string;
            return true;
        }

        if (request.Query.TryGetValue(name, out var queryValue))
        {
            // tenant_id in a query is ignored, never validated: the tenant comes from the key.
            value = queryValue.Count == 1 ? queryValue[0] : null;
            return name != "tenant_id";
        }

        value = null;
        return false;
    }
}
