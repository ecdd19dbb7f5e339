using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Mnemora.Storage;

namespace Mnemora.Api.Http;

/// <summary>
/// The contract's rules for single values, each returning the 400 to send or null when the value
/// is fine. Requests declare them with the <see cref="RequestRuleAttribute"/>s; the import parser
/// calls them directly.
/// </summary>
public static class Validate
{
    /// <summary>An agent or session id: 1–256 characters of printable text (see <see cref="Identifiers"/>).</summary>
    public static ApiProblem? Id(string? value, string field) =>
        Identifiers.IsValidId(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{Identifiers.MaxIdLength} characters (at most {Identifiers.MaxIdBytes} bytes in UTF-8) without '#' or control characters, and not '.' or '..'.");

    /// <summary>A tenant or key id: 1–256 letters, digits and <c>- _ . : @</c>; not <c>.</c> or <c>..</c>.</summary>
    public static ApiProblem? TenantId(string? value, string field) =>
        Identifiers.IsValidTenantId(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{Identifiers.MaxIdLength} characters of letters, digits and - _ . : @ (and not '.' or '..').");

    /// <summary>A namespace: 1–128 characters of printable text, as an agent or session id.</summary>
    public static ApiProblem? Namespace(string? value, string field = "namespace") =>
        Identifiers.IsValidNamespace(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{Identifiers.MaxNamespaceLength} characters (at most {Identifiers.MaxIdBytes} bytes in UTF-8) without '#' or control characters, and not '.' or '..'.");

    /// <summary>Free text shown to people (a name): 1–<paramref name="maxLength"/> characters, no control characters.</summary>
    public static ApiProblem? Text(string? value, string field, int maxLength = 200) =>
        value is { Length: > 0 } && value.Length <= maxLength && !value.Any(char.IsControl) && !string.IsNullOrWhiteSpace(value)
            ? null
            : ApiProblem.Validation($"'{field}' must be 1-{maxLength} characters without control characters.");

    /// <summary>Parses an ISO 8601 instant; one without an offset is taken as UTC.</summary>
    public static bool TryParseInstant(string? text, [NotNullWhen(true)] out DateTimeOffset? value)
    {
        value = null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}

/// <summary>
/// A rule declared on a member of a request record (its primary constructor parameter), checked
/// by <see cref="RequestValidation"/> before the handler runs. A member left out of the body is
/// checked as null, so a required rule refuses it and an optional one lets it pass.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
public abstract class RequestRuleAttribute : Attribute
{
    /// <summary>True when a null (absent) value passes without being checked.</summary>
    public bool Optional { get; set; }

    /// <summary>The problem to send for <paramref name="value"/> of the member named <paramref name="field"/> on the wire, or null.</summary>
    public ApiProblem? Check(object? value, string field) => value is null && Optional ? null : CheckValue(value, field);

    protected abstract ApiProblem? CheckValue(object? value, string field);
}

/// <summary>An agent or session id (see <see cref="Validate.Id"/>).</summary>
public sealed class IdentifierAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) => Validate.Id(value as string, field);
}

/// <summary>A tenant id (see <see cref="Validate.TenantId"/>).</summary>
public sealed class TenantIdentifierAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) => Validate.TenantId(value as string, field);
}

/// <summary>A namespace (see <see cref="Validate.Namespace"/>).</summary>
public sealed class NamespaceAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) => Validate.Namespace(value as string, field);
}

/// <summary>A name shown to people (see <see cref="Validate.Text"/>).</summary>
public sealed class DisplayTextAttribute(int maxLength) : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) => Validate.Text(value as string, field, maxLength);
}

/// <summary>A whole number in <c>[min, max]</c>.</summary>
public sealed class BetweenAttribute(int min, int max) : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) =>
        value is int number && number >= min && number <= max
            ? null
            : ApiProblem.Validation($"'{field}' must be between {min} and {max}.");
}

/// <summary>A score threshold in <c>[0, 1]</c>.</summary>
public sealed class FractionAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) =>
        value is double number && !double.IsNaN(number) && number is >= 0 and <= 1
            ? null
            : ApiProblem.Validation($"'{field}' must be between 0 and 1.");
}

/// <summary>
/// Text a memory holds or a search looks for: not blank, at most <paramref name="maxCharacters"/>
/// (a 413 beyond) and, unless <see cref="AllowNul"/>, no NUL (PostgreSQL text cannot hold it).
/// </summary>
public sealed class MemoryTextAttribute(int maxCharacters) : RequestRuleAttribute
{
    public bool AllowNul { get; set; }

    protected override ApiProblem? CheckValue(object? value, string field)
    {
        if (value is not string text || string.IsNullOrWhiteSpace(text))
        {
            return ApiProblem.Validation($"{field} must not be empty.");
        }

        if (text.Length > maxCharacters)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"{field} must be at most {maxCharacters} characters.");
        }

        return !AllowNul && text.Contains('\0', StringComparison.Ordinal) ? ApiProblem.Validation($"{field} must not contain NUL characters.") : null;
    }
}

/// <summary>
/// A JSON object of at most <paramref name="maxBytes"/> (a 413 beyond) without NUL in a key or a
/// string (PostgreSQL jsonb cannot hold <c>\u0000</c>); JSON null counts as absent.
/// </summary>
public sealed class MetadataObjectAttribute(int maxBytes) : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field)
    {
        if (value is not JsonElement element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Optional ? null : ApiProblem.Validation($"{field} must be a JSON object.");
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return ApiProblem.Validation($"{field} must be a JSON object.");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(element.GetRawText()) > maxBytes)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"{field} must be at most {maxBytes} bytes of JSON.");
        }

        return HasNul(element) ? ApiProblem.Validation($"{field} must not contain NUL characters.") : null;
    }

    private static bool HasNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HasNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HasNul),
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}

/// <summary>
/// Request validation, declared once on a route group: identifiers in the route and the query by
/// their contract names, then the rules on the members of the handler's request records. Handlers
/// only check what depends on more than one value or on a store.
/// </summary>
public static class RequestValidation
{
    /// <summary>The identifiers checked by name wherever they appear in a route or query, each with its rule.</summary>
    private static readonly (string Name, Func<string?, string, ApiProblem?> Rule)[] s_ids =
        [("agent_id", Validate.Id), ("session_id", Validate.Id), ("tenant_id", Validate.TenantId), ("key_id", Validate.TenantId)];
    private static readonly ConcurrentDictionary<Type, MemberRules[]> s_rules = new();

    /// <summary>Adds the validation to every route of the group.</summary>
    public static TBuilder ValidateRequests<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory(Create);

    /// <summary>The first rule a request record breaks, or null; also for a body read by hand (a null record is checked as all-absent).</summary>
    public static ApiProblem? Check<T>(T? request)
        where T : class => Check(typeof(T), request);

    private static ApiProblem? Check(Type type, object? request)
    {
        foreach (var member in RulesOf(type))
        {
            var value = request is null ? null : member.Property.GetValue(request);
            foreach (var rule in member.Rules)
            {
                if (rule.Check(value, member.Field) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext factory, EndpointFilterDelegate next)
    {
        // Decided once per route: which arguments are request records that declare rules.
        var bodies = factory.MethodInfo.GetParameters()
            .Select((parameter, index) => (parameter.ParameterType, index))
            .Where(p => p.ParameterType.IsClass && RulesOf(p.ParameterType).Length > 0)
            .ToArray();

        return context =>
        {
            var problem = CheckIdentifiers(context.HttpContext.Request);
            foreach (var (type, index) in bodies)
            {
                problem ??= Check(type, context.Arguments[index]);
            }

            return problem is null ? next(context) : ValueTask.FromResult<object?>(problem);
        };
    }

    /// <summary>Route and query identifiers go by their contract names, on every route alike, whether or not the handler reads them.</summary>
    private static ApiProblem? CheckIdentifiers(HttpRequest request)
    {
        foreach (var (name, rule) in s_ids)
        {
            if (Find(request, name, out var value) && rule(value, name) is { } problem)
            {
                return problem;
            }
        }

        return Find(request, "namespace", out var ns) ? Validate.Namespace(ns) : null;
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

    /// <summary>A record's rules in declaration order, read from its primary constructor's parameters (or its properties).</summary>
    private static MemberRules[] RulesOf(Type type) => s_rules.GetOrAdd(type, static type =>
    {
        var parameters = type.GetConstructors().MaxBy(c => c.GetParameters().Length)?.GetParameters() ?? [];
        return [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.GetIndexParameters().Length == 0)
            .Select(property => new MemberRules(
                property,
                JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name),
                [.. property.GetCustomAttributes<RequestRuleAttribute>(),
                    .. parameters.FirstOrDefault(p => p.Name == property.Name)?.GetCustomAttributes<RequestRuleAttribute>() ?? []]))
            .Where(member => member.Rules.Length > 0)
            .OrderBy(member => Array.FindIndex(parameters, p => p.Name == member.Property.Name) is var i and >= 0 ? i : int.MaxValue)];
    });

    private sealed record MemberRules(PropertyInfo Property, string Field, RequestRuleAttribute[] Rules);
}
