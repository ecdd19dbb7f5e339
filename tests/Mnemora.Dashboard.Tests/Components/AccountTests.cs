using Microsoft.Extensions.Options;
using Mnemora.Dashboard.Account;

namespace Mnemora.Dashboard.Tests.Components;

public sealed class AccountTests
{
    private static readonly OperatorPassword Password = new(Options.Create(new DashboardOptions { DashboardPassword = "correct horse battery", OperatorKey = "op_0123456789abcdef" }));

    [Fact]
    public void OnlyTheExactPasswordMatches()
    {
        Assert.True(Password.Matches("correct horse battery"));
        Assert.False(Password.Matches("correct horse"));
        Assert.False(Password.Matches("correct horse battery "));
        Assert.False(Password.Matches("Correct horse battery"));
        Assert.False(Password.Matches(""));
        Assert.False(Password.Matches(null));
    }

    [Theory]
    [InlineData("/tenants/acme", "/tenants/acme")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("http://evil.example/", "/")]
    [InlineData(null, "/")]
    public void SignInReturnsOnlyToThisSite(string? returnUrl, string expected) =>
        Assert.Equal(expected, AccountEndpoints.LocalReturnUrl(returnUrl));
}
