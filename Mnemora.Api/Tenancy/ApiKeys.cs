using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// Tenant API keys: <c>mnm_</c> + 43 base62 characters from a CSPRNG (256 bits). Only the SHA-256
/// hash is stored; the first characters are kept as a display prefix.
/// </summary>
public static class ApiKeys
{
    public const string Marker = "mnm_";
    private const int SecretLength = 43;
    private const int PrefixLength = 12;
    public const int Length = 4 + SecretLength;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static readonly SearchValues<char> s_alphabet = SearchValues.Create(Alphabet);

    /// <summary>A new key: the plaintext (to return once), its hash (to store) and its display prefix.</summary>
    public static (string Plaintext, string Hash, string Prefix) Generate()
    {
        var plaintext = Marker + RandomNumberGenerator.GetString(Alphabet, SecretLength);
        return (plaintext, Hash(plaintext), plaintext[..PrefixLength]);
    }

    /// <summary>True when the value has a key's shape; anything else is refused without a store lookup.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> value) =>
        value.Length == Length && value.StartsWith(Marker, StringComparison.Ordinal) && !value[Marker.Length..].ContainsAnyExcept(s_alphabet);

    /// <summary>Lower-case hex SHA-256 of the key's ASCII bytes.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));

    /// <summary>Compares two hashes in constant time.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>A new key id: not secret, used in the operator API's routes.</summary>
    public static string NewKeyId() => "key_" + RandomNumberGenerator.GetString(Alphabet, 20);
}
