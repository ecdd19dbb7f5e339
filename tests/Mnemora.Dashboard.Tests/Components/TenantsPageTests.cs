using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Dashboard.Components.Pages;

namespace Mnemora.Dashboard.Tests.Components;

public sealed class TenantsPageTests : IDisposable
{
    private readonly FakeOperatorApi _api = new();
    private readonly BunitContext _context;

    public TenantsPageTests()
    {
        _context = _api.CreateContext();
        _api.Data(HttpMethod.Get, "/admin/v1/tenants", new
        {
            tenants = new[]
            {
                Samples.Tenant("globex", "Globex Corporation", "pro", callsToday: 1200, limit: 25_000),
                Samples.Tenant("initech", "Initech", "free", callsToday: 12),
                Samples.Tenant("gone", "Gone Ltd", deleted: true),
            },
        });
    }

    [Fact]
    public void ListsTenantsWithTheirTierAndTodaysCallsAgainstTheLimit()
    {
        var page = _context.Render<Tenants>();

        page.WaitForAssertion(() => Assert.Contains("globex", page.Find("[data-testid=tenants-grid]").TextContent, StringComparison.Ordinal));
        var grid = page.Find("[data-testid=tenants-grid]").TextContent;
        Assert.Contains("1,200 / 25,000", Squash(grid), StringComparison.Ordinal);
        Assert.Contains("12 / 500", Squash(grid), StringComparison.Ordinal);
        Assert.Contains("pro", grid, StringComparison.Ordinal);
    }

    [Fact]
    public void HidesDeletedTenantsUntilAsked()
    {
        var page = _context.Render<Tenants>();
        page.WaitForAssertion(() => Assert.Contains("initech", page.Find("[data-testid=tenants-grid]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("gone", page.Find("[data-testid=tenants-grid]").TextContent, StringComparison.Ordinal);

        page.Find("[data-testid=show-deleted]").Change(true);

        page.WaitForAssertion(() => Assert.Contains("Gone Ltd", page.Find("[data-testid=tenants-grid]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void SearchFiltersByIdOrName()
    {
        var page = _context.Render<Tenants>();
        page.WaitForAssertion(() => Assert.Contains("initech", page.Find("[data-testid=tenants-grid]").TextContent, StringComparison.Ordinal));

        page.Find("[data-testid=tenant-search]").Input("CORPOR");

        page.WaitForAssertion(() =>
        {
            var grid = page.Find("[data-testid=tenants-grid]").TextContent;
            Assert.Contains("globex", grid, StringComparison.Ordinal);
            Assert.DoesNotContain("initech", grid, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void AnApiErrorIsShownAsItsMessage()
    {
        _api.Problem(HttpMethod.Get, "/admin/v1/tenants", HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE", "DynamoDB is not reachable; try again shortly.");

        var page = _context.Render<Tenants>();

        page.WaitForAssertion(() => Assert.Contains("DynamoDB is not reachable; try again shortly.", page.Find("[data-testid=api-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains("SERVICE_UNAVAILABLE", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableApiIsAMessageNotAnException()
    {
        _api.Throw(HttpMethod.Get, "/admin/v1/tenants", new HttpRequestException("Connection refused"));

        var page = _context.Render<Tenants>();

        page.WaitForAssertion(() => Assert.Contains("cannot be reached", page.Find("[data-testid=api-error]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("Connection refused", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatingRefusesAnIdOutsideTheIdentifierRules()
    {
        var page = _context.Render<Tenants>();

        page.Find("[data-testid=new-tenant-id]").Input("acme/robotics");

        Assert.True(page.Find("[data-testid=create-tenant-button]").HasAttribute("disabled"));
        Assert.Contains("Use letters, digits and - _ . : @ only.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatingSendsIdNameAndTierAndOpensTheTenant()
    {
        _api.Data(HttpMethod.Post, "/admin/v1/tenants", new { tenant_id = "acme", name = "Acme", tier = "starter", created_at = "2025-11-28T10:00:00Z" }, HttpStatusCode.Created);
        var page = _context.Render<Tenants>();

        page.Find("[data-testid=new-tenant-id]").Input("acme");
        page.Find("[data-testid=new-tenant-name]").Input("Acme");
        page.Find("[data-testid=new-tenant-tier]").Change("starter");
        page.Find("[data-testid=create-tenant-button]").Click();

        page.WaitForAssertion(() => Assert.EndsWith("/tenants/acme", _context.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal));
        var (_, body) = Assert.Single(_api.Requests, r => r.Route == "POST /admin/v1/tenants");
        Assert.Equal("""{"tenant_id":"acme","name":"Acme","tier":"starter"}""", body);
    }

    [Fact]
    public void TheCreateDialogShowsTheChosenTiersLimitsFromTheApi()
    {
        _api.Data(HttpMethod.Get, "/admin/v1/tiers", Samples.Tiers(("free", 500, 5_000, 50_000_000, 10_000), ("pro", 25_000, 250_000, 5_000_000_000, 500_000)));
        var page = _context.Render<Tenants>();
        page.WaitForAssertion(() => Assert.Contains("50 MB storage", page.Find("[data-testid=new-tenant-limits]").TextContent, StringComparison.Ordinal));

        page.Find("[data-testid=new-tenant-tier]").Change("pro");

        Assert.Equal("25,000 calls/day · 250,000 vectors · 5 GB storage · 500,000 embeddings/month", page.Find("[data-testid=new-tenant-limits]").TextContent);
    }

    [Fact]
    public void ACreateConflictStaysInTheDialogAsAMessage()
    {
        _api.Problem(HttpMethod.Post, "/admin/v1/tenants", HttpStatusCode.Conflict, "CONFLICT", "The tenant 'acme' exists already.");
        var page = _context.Render<Tenants>();

        page.Find("[data-testid=new-tenant-id]").Input("acme");
        page.Find("[data-testid=create-tenant-button]").Click();

        page.WaitForAssertion(() => Assert.Contains("The tenant 'acme' exists already.", page.Find("[data-testid=create-tenant-dialog]").TextContent, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _context.Dispose();
        _api.Dispose();
    }

    private static string Squash(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
