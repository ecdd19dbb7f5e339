namespace Mnemora.Dashboard.Operator;

/// <summary>The contract's identifier rule, checked before a call so the form can say what is wrong at once; the API decides.</summary>
public static class Identifiers
{
    public const int MaxLength = 256;

    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "Enter a tenant id.";
        }

        if (value.Length > MaxLength)
        {
            return $"A tenant id has at most {MaxLength} characters.";
        }

        if (value is "." or ".." || !value.All(IsAllowed))
        {
            return "Use letters, digits and - _ . : @ only.";
        }

        return null;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@';
}
