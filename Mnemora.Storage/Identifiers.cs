using System.Buffers;

namespace Mnemora.Storage;

/// <summary>
/// The contract's identifier rules. Agent and session ids (1–256 chars) and namespaces (1–128)
/// hold letters, digits and <c>- _ . : @</c> only; <c>.</c> and <c>..</c> alone are refused.
/// Composite keys (<c>tenant#agent</c>) and S3 prefixes are built only from ids that pass, so
/// no id can forge another's key.
/// </summary>
public static class Identifiers
{
    public const int MaxIdLength = 256;
    public const int MaxNamespaceLength = 128;

    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@");

    public static bool IsValidId(string? value) => IsValid(value, MaxIdLength);

    public static bool IsValidNamespace(string? value) => IsValid(value, MaxNamespaceLength);

    private static bool IsValid(string? value, int maxLength) =>
        value is { Length: > 0 } && value.Length <= maxLength
        && !value.AsSpan().ContainsAnyExcept(s_allowed)
        && value is not "." and not "..";
}
