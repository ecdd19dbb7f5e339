using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Mnemora.Api.Http;
using Mnemora.Storage;

namespace Mnemora.Api.Apis;

/// <summary>The checks every memory route makes before it touches a store.</summary>
internal static class MemoryValidation
{
    /// <summary>A 400 for an id outside the contract's rules (so no id can forge a key or an S3 prefix), else null.</summary>
    public static ApiProblem? Id(string? value, string name) => Identifiers.IsValidId(value)
        ? null
        : ApiProblem.Validation($"'{name}' must be 1–{Identifiers.MaxIdLength} characters of letters, digits and - _ . : @ (not '.' or '..').");

    public static ApiProblem? TtlHours(int? ttlHours) => ttlHours is null or (>= 1 and <= 8760)
        ? null
        : ApiProblem.Validation("'ttl_hours' must be between 1 and 8760.");

    public static ApiProblem TooLarge(string what, int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, string.Create(CultureInfo.InvariantCulture, $"{what} is limited to {limit} bytes serialised."));

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
