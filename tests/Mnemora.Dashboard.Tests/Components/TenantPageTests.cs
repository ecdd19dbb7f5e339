using Bunit;
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
        Assert.Contains("4 KB / 50 MB", Squash(page.Find("[data-testid=storage]").TextContent), StringComparison.Ordinal);
        Assert.Contains("111", page.Find("[data-testid=calls-month]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAHistoryRouteTheChartSaysHistoryIsUnavailable()
    {
        var page = RenderPage();

        Assert.NotNull(page.Find("[data-testid=history-unavailable]"));
        Assert.Single(page.FindAll("[data-testid=calls-chart] rect.chart-bar:not(.unknown)"));
    }

    [Fact]
    public void WithAHistoryRouteTheChartDrawsEveryDay()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
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
    public void WithoutAnOperatorAgentsRouteAgentsAreComingWithPurge()
    {
        var page = RenderPage();

        var notice = page.Find("[data-testid=agents-unavailable]").OuterHtml;
        Assert.Contains("coming with the operator purge route", notice, StringComparison.Ordinal);
        Assert.Contains("4 agents", page.Find("[data-testid=agents-unavailable]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void WithAnAgentsRouteAnAgentIsPurgedAfterConfirmationShowingTheCounts()
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
