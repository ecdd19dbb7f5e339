using System.Text.Json;
using Aspire.Hosting.Testing;

namespace Mnemora.Dashboard.Tests.EndToEnd;

/// <summary>
/// A web app calling the API from a real browser: a page on another origin (the dashboard's) uses
/// <c>fetch</c>, so the browser itself sends the preflight and enforces the answer's CORS headers.
/// </summary>
[Collection(DashboardSystemCollection.Name)]
public sealed class BrowserCallsTheApiTests(DashboardSystem system)
{
    private const string Fetch = """
        async ([url, key]) => {
          try {
            const response = await fetch(url, {
              method: url.includes('/admin/') ? 'GET' : 'POST',
              headers: { 'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json' },
              body: url.includes('/admin/') ? undefined : JSON.stringify({ agent_id: 'web-agent', content: 'The customer prefers answers by email.' }),
            });
            return { status: response.status, body: await response.text(), rateLimit: response.headers.get('RateLimit') };
          } catch (error) {
            return { status: 0, body: String(error), rateLimit: null };
          }
        }
        """;

    [Fact]
    public async Task APageOnAnotherOriginStoresAMemoryAndReadsTheLimitHeaderButCannotCallTheOperatorApi()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenantId = $"web-{Guid.NewGuid():N}"[..20];
        using var admin = system.CreateOperatorClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = tenantId, tier = "free" }, cancellationToken)).StatusCode);
        using var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "web" }, cancellationToken);
        using var issuedBody = JsonDocument.Parse(await issued.Content.ReadAsStringAsync(cancellationToken));
        var key = issuedBody.RootElement.GetProperty("data").GetProperty("api_key").GetString()!;

        var api = system.App.GetEndpoint("api", "http");
        Assert.NotEqual(new Uri(system.DashboardUrl.GetLeftPart(UriPartial.Authority)), new Uri(api.GetLeftPart(UriPartial.Authority)));
        var page = await system.NewPageAsync();
        await page.GotoAsync("/signin");

        var stored = await page.EvaluateAsync<JsonElement>(Fetch, new object[] { new Uri(api, "/v1/memory/semantic").ToString(), key });
        Assert.True(stored.GetProperty("status").GetInt32() == 201, $"The browser's call answered {stored}.");
        Assert.Contains("prefers answers by email", stored.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("\"daily\"", stored.GetProperty("rateLimit").GetString(), StringComparison.Ordinal);

        // The same page cannot read the operator API, even holding the operator key: the browser blocks it.
        var blocked = await page.EvaluateAsync<JsonElement>(Fetch, new object[] { new Uri(api, "/admin/v1/tenants").ToString(), system.OperatorKey });
        Assert.True(blocked.GetProperty("status").GetInt32() == 0, $"A page on another origin read the operator API: {blocked}.");
    }
}
