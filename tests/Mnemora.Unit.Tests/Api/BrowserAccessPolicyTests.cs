using Microsoft.AspNetCore.Cors.Infrastructure;
using BrowserAccess = Mnemora.Api.Http.BrowserAccess;

namespace Mnemora.Unit.Tests.Api;

/// <summary><c>Mnemora:Cors:Origins</c>: unset or <c>*</c> allows any page; named origins allow only those.</summary>
public sealed class BrowserAccessPolicyTests
{
    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData(" ,*")]
    [InlineData("https://app.example.com,*")]
    public void WithoutNamedOriginsAnyPageMayCall(string origins)
    {
        var policy = Build(origins.Length == 0 ? [] : origins.Split(','));

        Assert.True(policy.AllowAnyOrigin);
        Assert.False(policy.SupportsCredentials);
    }

    [Fact]
    public void NamedOriginsAreTheOnlyOnesAllowedAndATrailingSlashIsForgiven()
    {
        var policy = Build(["https://app.example.com/", "http://localhost:3000"]);

        Assert.False(policy.AllowAnyOrigin);
        Assert.True(policy.IsOriginAllowed("https://app.example.com"));
        Assert.True(policy.IsOriginAllowed("http://localhost:3000"));
        Assert.False(policy.IsOriginAllowed("https://evil.example.com"));
        Assert.False(policy.IsOriginAllowed("https://app.example.com.evil.example"));
    }

    [Fact]
    public void ThePageMayReadTheLimitHeadersAndSendItsKey()
    {
        var policy = Build([]);

        Assert.Equal(["Retry-After", "RateLimit", "RateLimit-Policy"], policy.ExposedHeaders);
        Assert.Contains("Authorization", policy.Headers);
        Assert.Contains("Content-Type", policy.Headers);
    }

    private static CorsPolicy Build(string[] origins)
    {
        var builder = new CorsPolicyBuilder();
        BrowserAccess.Configure(builder, origins);
        return builder.Build();
    }
}
