using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Mnemora.Dashboard.Account;

/// <summary>Checks the sign-in password against <c>Mnemora:DashboardPassword</c> in constant time.</summary>
public sealed class OperatorPassword(IOptions<DashboardOptions> options)
{
    // Comparing digests keeps the comparison length-independent as well as constant-time.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.DashboardPassword));

    public bool Matches(string? candidate)
    {
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(candidate ?? string.Empty));
        return CryptographicOperations.FixedTimeEquals(_expected, actual);
    }
}
