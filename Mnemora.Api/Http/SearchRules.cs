using System.Text.Json;
using Mnemora.Api.Contracts;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Http;

/// <summary>A search mode: <c>hybrid</c>, <c>vector</c> or <c>keyword</c>.</summary>
public sealed class SearchModeAttribute : RequestRuleAttribute
{
    public static bool TryParse(string? value, out SearchMode mode)
    {
        mode = value switch
        {
            // Omitted: hybrid, as the contract says (the hybrid benchmark: as good as vector on paraphrases, and finds exact tokens).
            null or "hybrid" => SearchMode.Hybrid,
            "vector" => SearchMode.Vector,
            "keyword" => SearchMode.Keyword,
            _ => (SearchMode)(-1),
        };
        return Enum.IsDefined(mode);
    }

    protected override ApiProblem? CheckValue(object? value, string field) =>
        TryParse(value as string, out _) ? null : ApiProblem.Validation($"'{field}' must be one of hybrid, vector, keyword.");
}

/// <summary>A metadata filter the compiler accepts (see <see cref="MetadataFilter"/>), at most <see cref="RequestLimits.MaxMetadataBytes"/> of JSON.</summary>
public sealed class FilterAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field)
    {
        if (value is not JsonElement element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Optional ? null : ApiProblem.Validation($"'{field}' must be a JSON object.");
        }

        if (element.ValueKind != JsonValueKind.Object || System.Text.Encoding.UTF8.GetByteCount(element.GetRawText()) > RequestLimits.MaxMetadataBytes)
        {
            return ApiProblem.Validation($"'{field}' must be a JSON object of at most {RequestLimits.MaxMetadataBytes} bytes.");
        }

        try
        {
            MetadataFilter.Compile(element);
            return null;
        }
        catch (MetadataFilterException e)
        {
            return ApiProblem.Validation($"'{field}': {e.Message}");
        }
    }
}

/// <summary>An ISO 8601 instant (see <see cref="Validate.TryParseInstant"/>).</summary>
public sealed class InstantAttribute : RequestRuleAttribute
{
    protected override ApiProblem? CheckValue(object? value, string field) =>
        Validate.TryParseInstant(value as string, out _) ? null : ApiProblem.Validation($"'{field}' must be an ISO 8601 timestamp.");
}
