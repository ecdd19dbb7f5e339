using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Mnemora.Dashboard.Tests.EndToEnd;

/// <summary>The operator's day in a real browser, against the system the AppHost starts.</summary>
[Collection(DashboardSystemCollection.Name)]
public sealed partial class OperatorJourneyTests(DashboardSystem system)
{
    private static readonly TimeSpan RevocationDeadline = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AVisitorWhoIsNotSignedInIsSentToSignIn()
    {
        var page = await system.NewPageAsync();

        await page.GotoAsync("/tenants");

        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        await Assertions.Expect(page.Locator("#password")).ToBeVisibleAsync();
        await DashboardSystem.ScreenshotAsync(page, "01-sign-in");
    }

    [Fact]
    public async Task AWrongPasswordIsRefused()
    {
        var page = await system.NewPageAsync();
        await page.GotoAsync("/signin");

        await page.Locator("#password").FillAsync("not-the-password");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.Locator("button[type=submit]").ClickAsync(),
            r => r.Request.Method == "POST");

        Assert.Equal(401, response.Status);
        await Assertions.Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not right");
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        var cookies = await page.Context.CookiesAsync();
        Assert.DoesNotContain(cookies, c => c.Name == "mnemora-dashboard");
        await DashboardSystem.ScreenshotAsync(page, "02-sign-in-refused");

        // Still signed out: a page that needs the operator sends back to sign-in.
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
    }

    [Fact]
    public async Task TheOperatorRunsATenantFromCreationToDeletion()
    {
        var tenantId = $"acme-{Guid.NewGuid():N}"[..20];
        var page = await system.NewPageAsync();
        await SignInAsync(page);

        // Create the tenant from the Tenants page.
        await page.GetByRole(AriaRole.Link, new() { Name = "Tenants" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Tenants");
        await page.GetByTestId("new-tenant-button").ClickAsync();
        await page.Locator("[data-testid=new-tenant-id]").FillAsync(tenantId);
        await page.Locator("[data-testid=new-tenant-name]").FillAsync("Acme Robotics");
        // The button is enabled once the server has the id; a click on the disabled web component would be lost.
        var createButton = page.GetByTestId("create-tenant-button");
        await Assertions.Expect(createButton).Not.ToHaveAttributeAsync("disabled", AnyValue());
        await createButton.ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/tenants/{tenantId}$"));
        await Assertions.Expect(page.GetByTestId("tenant-title")).ToHaveTextAsync("Acme Robotics");
        await Assertions.Expect(page.GetByTestId("calls-today")).ToContainTextAsync("0 / 500");
        // The API reports calls per day, so the chart draws history and no "unavailable" note.
        await Assertions.Expect(page.GetByTestId("calls-chart")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("history-unavailable")).ToHaveCountAsync(0);

        // Issue a key and read it from the page: shown once, with a copy button.
        await page.Locator("[data-testid=key-name]").FillAsync("production");
        await page.GetByTestId("issue-key").ClickAsync();
        await Assertions.Expect(page.GetByTestId("issued-key-panel")).ToContainTextAsync("you will not see it again");
        await Assertions.Expect(page.GetByTestId("copy-key")).ToBeVisibleAsync();
        var apiKey = (await page.GetByTestId("issued-key").InnerTextAsync()).Trim();
        Assert.StartsWith("mnm_", apiKey, StringComparison.Ordinal);
        await DashboardSystem.ScreenshotAsync(page, "05-tenant-key-issued");
        await AssertOperatorKeyNotInPageAsync(page);

        // The customer uses the key; today's calls move on the tenant page.
        using var customer = system.CreateTenantClient(apiKey);
        const int Calls = 3;
        for (var i = 0; i < Calls; i++)
        {
            using var response = await customer.GetAsync("/v1/usage", Cancelled);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await page.GetByTestId("issued-key-done").ClickAsync();
        await Assertions.Expect(page.GetByTestId("issued-key")).ToHaveCountAsync(0);
        await page.GetByTestId("refresh-button").ClickAsync();
        await Assertions.Expect(page.GetByTestId("calls-today")).ToContainTextAsync($"{Calls} / 500");
        await Assertions.Expect(page.GetByTestId("keys-grid")).ToContainTextAsync("just now");
        await DashboardSystem.ScreenshotAsync(page, "06-tenant-usage");

        // Revoke the key after confirming; the customer gets 401 within the contract's 5 seconds.
        await page.GetByTestId("revoke-key").ClickAsync();
        await Assertions.Expect(page.GetByTestId("confirm-dialog")).ToContainTextAsync("Revoke the key");
        await DashboardSystem.ScreenshotAsync(page, "07-revoke-confirmation");
        await page.GetByTestId("confirm-button").ClickAsync();
        await Assertions.Expect(page.GetByTestId("keys-grid")).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOnceRevokedAsync(customer));

        // Delete the tenant: the button waits for the id typed out, then the purge counts show.
        await page.GetByTestId("open-delete-tenant").ClickAsync();
        var deleteButton = page.GetByTestId("delete-tenant-button");
        await Assertions.Expect(page.GetByTestId("purge-preview")).ToContainTextAsync("revokes every API key");
        await Assertions.Expect(deleteButton).ToHaveAttributeAsync("disabled", AnyValue());
        await page.Locator("[data-testid=delete-confirm-input]").FillAsync("not-" + tenantId);
        await Assertions.Expect(deleteButton).ToHaveAttributeAsync("disabled", AnyValue());
        await page.Locator("[data-testid=delete-confirm-input]").FillAsync(tenantId);
        await Assertions.Expect(deleteButton).Not.ToHaveAttributeAsync("disabled", AnyValue());
        await DashboardSystem.ScreenshotAsync(page, "08-delete-confirmation");
        await deleteButton.ClickAsync();
        await Assertions.Expect(page.GetByTestId("delete-result")).ToContainTextAsync("Tenant deleted");
        await DashboardSystem.ScreenshotAsync(page, "09-tenant-deleted");
        await page.GetByTestId("delete-close-button").ClickAsync();
        await Assertions.Expect(page.GetByTestId("tenant-deleted")).ToBeVisibleAsync();

        // The lists show the tenant as gone.
        await GotoAsync(page, "/tenants");
        await Assertions.Expect(page.GetByTestId("tenants-grid")).Not.ToContainTextAsync(tenantId);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await AssertOperatorKeyNotInPageAsync(page);
    }

    [Fact]
    public async Task TheMainPagesShowTenantsAndTheirUsage()
    {
        var page = await system.NewPageAsync();
        await SignInAsync(page);
        var tenants = new[] { ("globex", "Globex Corporation", "pro"), ("initech", "Initech", "starter"), ("umbrella", "Umbrella Labs", "free") };
        foreach (var (id, name, tier) in tenants)
        {
            var key = await CreateTenantWithKeyAsync(id, name, tier);
            using var customer = system.CreateTenantClient(key);
            for (var i = 0; i < name.Length; i++)
            {
                using var response = await customer.GetAsync("/v1/usage", Cancelled);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await GotoAsync(page, "/");
        await Assertions.Expect(page.GetByTestId("busiest-grid")).ToContainTextAsync("globex");
        await DashboardSystem.ScreenshotAsync(page, "03-overview");

        await GotoAsync(page, "/tenants");
        await Assertions.Expect(page.GetByTestId("tenants-grid")).ToContainTextAsync("initech");
        await page.Locator("[data-testid=tenant-search]").FillAsync("umbr");
        await Assertions.Expect(page.GetByTestId("tenants-grid")).Not.ToContainTextAsync("initech");
        await Assertions.Expect(page.GetByTestId("tenants-grid")).ToContainTextAsync("umbrella");
        await page.Locator("[data-testid=tenant-search]").FillAsync(string.Empty);
        await Assertions.Expect(page.GetByTestId("tenants-grid")).ToContainTextAsync("initech");
        await DashboardSystem.ScreenshotAsync(page, "04-tenants");

        await page.GetByRole(AriaRole.Link, new() { Name = "globex" }).First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("calls-today")).ToContainTextAsync("18 / 25,000");
        await DashboardSystem.ScreenshotAsync(page, "10-tenant-page");
    }

    /// <summary>Opens a page and waits until its circuit is interactive, so typed input is not lost to prerendering.</summary>
    private static async Task GotoAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitInteractiveAsync(page);
    }

    private static Task WaitInteractiveAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    private async Task SignInAsync(IPage page)
    {
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(SignInUrl());
        await page.Locator("#password").FillAsync(DashboardSystem.DashboardPassword);
        await page.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await WaitInteractiveAsync(page);
    }

    /// <summary>The operator key must stay on the server: not in the HTML, not in any script state.</summary>
    private async Task AssertOperatorKeyNotInPageAsync(IPage page)
    {
        Assert.DoesNotContain(system.OperatorKey, await page.ContentAsync(), StringComparison.Ordinal);
        var storage = await page.EvaluateAsync<string>("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie");
        Assert.DoesNotContain(system.OperatorKey, storage, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> StatusOnceRevokedAsync(HttpClient customer)
    {
        using var deadline = new CancellationTokenSource(RevocationDeadline);
        var status = HttpStatusCode.OK;
        while (!deadline.IsCancellationRequested)
        {
            using var response = await customer.GetAsync("/v1/usage", Cancelled);
            status = response.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), Cancelled);
        }

        return status;
    }

    private async Task<string> CreateTenantWithKeyAsync(string tenantId, string name, string tier)
    {
        using var admin = system.CreateOperatorClient();
        var created = await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name, tier }, Cancelled);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "default" }, Cancelled);
        var body = await issued.Content.ReadFromJsonAsync<IssuedKeyBody>(Cancelled);
        return body!.Data.ApiKey;
    }

    [GeneratedRegex(".*")]
    private static partial Regex AnyValue();

    [GeneratedRegex("/signin")]
    private static partial Regex SignInUrl();

    private sealed record IssuedKeyBody(IssuedKeyData Data);

    private sealed record IssuedKeyData([property: System.Text.Json.Serialization.JsonPropertyName("api_key")] string ApiKey);
}
