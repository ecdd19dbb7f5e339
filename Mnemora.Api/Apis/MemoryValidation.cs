using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Mnemora.Api.Http;

namespace Mnemora.Api.Apis;

/// <summary>The checks every memory route makes before it touches a store.</summary>
internal static class MemoryValidation
{
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
