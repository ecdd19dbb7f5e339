using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Dashboard.Components.Pages;

namespace Mnemora.Dashboard.Tests.Components;

public sealed class TenantPageTests : IDisposable
{
    private const string Tenant = "/admin/v1/tenants/acme";
    private readonly FakeOperatorApi _api = new();
    private readonly BunitContext _context;

    public TenantPageTests()
    {
        _context = _api.CreateContext();
        _api.Data(HttpMethod.Get, Tenant, Samples.Details("acme", "Acme Robotics", callsToday: 37, agents: 4));
        _api.Data(HttpMethod.Get, Tenant + "/keys", new { keys = new[] { Samples.Key("k1", "mnm_abcd") } });
        _api.Data(HttpMethod.Get, Tenant + "/agents", new { agents = Array.Empty<object>() });
    }

    private IRenderedComponent<TenantPage> RenderPage()
    {
        var page = _context.Render<TenantPage>(p => p.Add(c => c.TenantId, "acme"));
        page.WaitForAssertion(() => Assert.Contains("Acme Robotics", page.Find("[data-testid=tenant-title]").TextContent, StringComparison.Ordinal));
        return page;
    }

    [Fact]
    public void ShowsUsageAgainstTheTiersLimits()
    {
        var page = RenderPage();

        Assert.Contains("37 / 500", Squash(page.Find("[data-testid=calls-today]").TextContent), StringComparison.Ordinal);
        Assert.Contains("42 / 5,000", Squash(page.Find("[data-testid=vectors]").TextContent), StringComparison.Ordinal);
        Assert.Contains("4.1 KB / 50 MB", Squash(page.Find("[data-testid=storage]").TextContent), StringComparison.Ordinal);
        Assert.Contains("7 / 10,000", Squash(page.Find("[data-testid=embeddings]").TextContent), StringComparison.Ordinal);
        Assert.Contains("111", page.Find("[data-testid=calls-month]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AFreeTenantsStorageMeterUsesTheApisDecimalLimitNotABinaryOne()
    {
        var page = RenderPage();

        var storage = page.Find("[data-testid=storage]");
        Assert.Equal("50000000", storage.GetAttribute("data-limit"));
        Assert.NotEqual("52428800", storage.GetAttribute("data-limit"));
        Assert.Equal("5000", page.Find("[data-testid=vectors]").GetAttribute("data-limit"));
        Assert.Equal("10000", page.Find("[data-testid=embeddings]").GetAttribute("data-limit"));
    }

    [Fact]
    public void TheMetersShowWhateverLimitsTheApiServes()
    {
        // Numbers no tier table has: only the API's answer can put them on the page.
        _api.Data(HttpMethod.Get, Tenant, Samples.Details("acme", "Acme Robotics", limits: (777, 1_234, 123_456_789, 4_321)));

        var page = RenderPage();

        Assert.Equal("777", page.Find("[data-testid=calls-today]").GetAttribute("data-limit"));
        Assert.Equal("1234", page.Find("[data-testid=vectors]").GetAttribute("data-limit"));
        Assert.Equal("123456789", page.Find("[data-testid=storage]").GetAttribute("data-limit"));
        Assert.Contains("/ 123 MB", Squash(page.Find("[data-testid=storage]").TextContent), StringComparison.Ordinal);
        Assert.Equal("4321", page.Find("[data-testid=embeddings]").GetAttribute("data-limit"));
    }

    [Fact]
    public void TheTierEditorShowsTheChosenTiersLimitsFromTheApi()
    {
        _api.Data(HttpMethod.Get, "/admin/v1/tiers", Samples.Tiers(("free", 500, 5_000, 50_000_000, 10_000), ("starter", 5_000, 50_000, 500_000_000, 100_000)));
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("500 calls/day", page.Find("[data-testid=tier-limits]").TextContent, StringComparison.Ordinal));

        page.Find("[data-testid=tier-select]").Change("starter");

        Assert.Equal("5,000 calls/day · 50,000 vectors · 500 MB storage · 100,000 embeddings/month", page.Find("[data-testid=tier-limits]").TextContent);
        Assert.False(page.Find("[data-testid=save-tier]").HasAttribute("disabled"));
    }

    [Fact]
    public void WhenTheHistoryCannotBeReadTheChartSaysSo()
    {
        var page = RenderPage();

        Assert.NotNull(page.Find("[data-testid=history-unavailable]"));
        Assert.Single(page.FindAll("[data-testid=calls-chart] rect.chart-bar:not(.unknown)"));
    }

    [Fact]
    public void WithAHistoryRouteTheChartDrawsEveryDay()
    {
        // The page's "today" comes from its TimeProvider: fixed here, so a run across midnight UTC draws the same days.
        var today = new DateOnly(2026, 3, 1);
        _context.Services.AddSingleton<TimeProvider>(new FixedTime(new DateTimeOffset(today, new TimeOnly(23, 59, 59), TimeSpan.Zero)));
        var days = Enumerable.Range(0, 30).Select(i => new { date = today.AddDays(-i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), api_calls = i * 10 });
        _api.Data(HttpMethod.Get, Tenant + "/usage/daily?days=30", new { days });

        var page = RenderPage();

        Assert.Empty(page.FindAll("[data-testid=history-unavailable]"));
        Assert.Equal(30, page.FindAll("[data-testid=calls-chart] rect.chart-bar:not(.unknown)").Count);
    }

    [Fact]
    public void AnIssuedKeyIsShownOnceWithAWarningAndForgottenWhenDone()
    {
        _api.Data(HttpMethod.Post, Tenant + "/keys", new { key_id = "k2", api_key = "mnm_secret_plaintext", prefix = "mnm_secr", name = (string?)null, created_at = "2025-11-28T10:00:00Z" }, HttpStatusCode.Created);
        var page = RenderPage();

        page.Find("[data-testid=issue-key]").Click();

        page.WaitForAssertion(() => Assert.Equal("mnm_secret_plaintext", page.Find("[data-testid=issued-key]").TextContent));
        Assert.Contains("you will not see it again", page.Find("[data-testid=issued-key-panel]").OuterHtml, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid=copy-key]"));

        page.Find("[data-testid=issued-key-done]").Click();

        Assert.DoesNotContain("mnm_secret_plaintext", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void RevokingAsksFirstThenRevokes()
    {
        _api.NoContent(HttpMethod.Delete, Tenant + "/keys/k1");
        var page = RenderPage();

        page.Find("[data-testid=revoke-key]").Click();

        Assert.Contains("mnm_abcd", page.Find("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(_api.Requests, r => r.Route.StartsWith("DELETE", StringComparison.Ordinal));

        _api.Data(HttpMethod.Get, Tenant + "/keys", new { keys = new[] { Samples.Key("k1", "mnm_abcd", revoked: true) } });
        page.Find("[data-testid=confirm-button]").Click();

        page.WaitForAssertion(() => Assert.Contains("revoked", page.Find("[data-testid=keys-grid]").TextContent, StringComparison.Ordinal));
        Assert.Contains(_api.Requests, r => r.Route == "DELETE /admin/v1/tenants/acme/keys/k1");
    }

    [Fact]
    public void AFailedRevokeKeepsTheDialogOpenWithTheReason()
    {
        _api.Problem(HttpMethod.Delete, Tenant + "/keys/k1", HttpStatusCode.NotFound, "NOT_FOUND", "The tenant 'acme' has no key 'k1'.");
        var page = RenderPage();

        page.Find("[data-testid=revoke-key]").Click();
        page.Find("[data-testid=confirm-button]").Click();

        page.WaitForAssertion(() => Assert.Contains("has no key 'k1'", page.Find("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void AFailedAgentsListIsShownAsItsMessage()
    {
        _api.Problem(HttpMethod.Get, Tenant + "/agents", HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE", "PostgreSQL is not reachable; try again shortly.");

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("PostgreSQL is not reachable", page.Find("[data-testid=agents-section]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void AnAgentIsPurgedAfterConfirmationShowingTheCounts()
    {
        _api.Data(HttpMethod.Get, Tenant + "/agents", new { agents = new[] { new { agent_id = "support-bot", state = 2, semantic = 5, episodic = 9 } } });
        _api.Data(HttpMethod.Delete, Tenant + "/agents/support-bot", new { agent_id = "support-bot", deleted = new { state = 2, semantic = 5, episodic = 9, s3_objects = 1 } });
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("support-bot", page.Find("[data-testid=agents-grid]").TextContent, StringComparison.Ordinal));

        page.Find("[data-testid=purge-agent]").Click();
        page.Find("[data-testid=confirm-button]").Click();

        page.WaitForAssertion(() => Assert.Contains("9 episodes and 1 S3 objects deleted", Squash(page.Find("[data-testid=agent-purged]").TextContent), StringComparison.Ordinal));
    }

    [Fact]
    public void DeletingWaitsForTheIdTypedOutThenShowsWhatWasPurged()
    {
        _api.Data(HttpMethod.Delete, Tenant, new { tenant_id = "acme", keys_revoked = 1, deleted = new { state = 3, semantic = 4, episodic = 5, s3_objects = 6 } });
        var page = RenderPage();

        page.Find("[data-testid=open-delete-tenant]").Click();
        page.WaitForAssertion(() => Assert.Contains("4 agents", page.Find("[data-testid=purge-preview]").TextContent, StringComparison.Ordinal));
        var delete = () => page.Find("[data-testid=delete-tenant-button]");
        Assert.True(delete().HasAttribute("disabled"));

        page.Find("[data-testid=delete-confirm-input]").Input("acm");
        Assert.True(delete().HasAttribute("disabled"));
        page.Find("[data-testid=delete-confirm-input]").Input("acme");
        Assert.False(delete().HasAttribute("disabled"));
        delete().Click();

        page.WaitForAssertion(() => Assert.Contains("1 keys revoked; 18 records purged.", Squash(page.Find("[data-testid=delete-result]").TextContent), StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _context.Dispose();
        _api.Dispose();
    }

    private static string Squash(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
