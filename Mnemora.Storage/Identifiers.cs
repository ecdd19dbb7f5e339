using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Mnemora.Storage;

/// <summary>
/// The contract's identifier rules. Agent and session ids (1–256 characters) and namespaces (1–128)
/// are any printable text that real agent frameworks send (<c>thread-1|child:1</c>, <c>crew agent</c>,
/// <c>user/42</c>, <c>Müller</c>), except <c>#</c>, control characters and lone surrogates; at most
/// 256 bytes in UTF-8, so that every key built from them fits the stores' key limits; <c>.</c> and
/// <c>..</c> alone are refused. Tenant ids, chosen by the operator, keep the narrow alphabet
/// (letters, digits and <c>- _ . : @</c>).
/// <para>
/// Where an id enters a key it cannot be confused with another's: in DynamoDB keys ids are joined
/// by <c>#</c>, which no id contains, so a key splits back into exactly one tuple of ids; in S3 keys
/// each id is one path segment (<see cref="ToKeySegment"/>), never containing <c>/</c>.
/// </para>
/// </summary>
public static class Identifiers
{
    public const int MaxIdLength = 256;
    public const int MaxNamespaceLength = 128;

    /// <summary>The most UTF-8 bytes an id may take: the longest key (<c>SESSION#{agent}#{session}</c>) stays under DynamoDB's 1,024-byte sort key.</summary>
    public const int MaxIdBytes = 256;

    /// <summary>What an S3 key segment that is not an id as it stands starts with; no id in the narrow alphabet contains it.</summary>
    private const char EncodedSegmentMark = '~';

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly SearchValues<char> s_narrow =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@");

    /// <summary>An agent or session id (see the type's rules).</summary>
    public static bool IsValidId(string? value) => IsValidText(value, MaxIdLength);

    public static bool IsValidNamespace(string? value) => IsValidText(value, MaxNamespaceLength);

    /// <summary>A tenant id: 1–256 letters, digits and <c>- _ . : @</c>; not <c>.</c> or <c>..</c>.</summary>
    public static bool IsValidTenantId(string? value) =>
        value is { Length: > 0 and <= MaxIdLength } && IsNarrow(value) && value is not "." and not "..";

    private static bool IsNarrow(string value) => !value.AsSpan().ContainsAnyExcept(s_narrow);

    private static bool IsValidText(string? value, int maxLength)
    {
        if (value is not { Length: > 0 } || value.Length > maxLength || value is "." or "..")
        {
            return false;
        }

        if (IsNarrow(value))
        {
            return true;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '#' || char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return Encoding.UTF8.GetByteCount(value) <= MaxIdBytes;
    }

    /// <summary>
    /// The id as one S3 key segment: itself when it is in the narrow alphabet (so keys written before
    /// ids were widened stay where they are), otherwise <c>~</c> and the base64url of its UTF-8 bytes
    /// (no <c>/</c>, no <c>.</c> segments, at most 343 characters). Distinct ids give distinct segments.
    /// </summary>
    public static string ToKeySegment(string id)
    {
        if (IsNarrow(id))
        {
            return id;
        }

        return EncodedSegmentMark + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));
    }

    /// <summary>The id an S3 key segment stands for (<see cref="ToKeySegment"/> reversed), or null when it stands for none.</summary>
    public static string? FromKeySegment(string segment)
    {
        if (segment.Length == 0 || segment[0] != EncodedSegmentMark)
        {
            return IsValidId(segment) && IsNarrow(segment) ? segment : null;
        }

        try
        {
            var id = s_strictUtf8.GetString(Base64Url.DecodeFromChars(segment.AsSpan(1)));
            return IsValidId(id) && ToKeySegment(id) == segment ? id : null;
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }
}
