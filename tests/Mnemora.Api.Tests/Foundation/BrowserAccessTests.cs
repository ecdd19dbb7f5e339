using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Foundation;

/// <summary>CORS as a browser meets it: <c>/v1</c> answers pages on any origin (the default), <c>/admin/v1</c> none.</summary>
public sealed class BrowserAccessTests(MnemoraApp system)
{
    private const string Origin = "https://app.customer.example";

    [Theory]
    [InlineData("POST", "/v1/memory/semantic")]
    [InlineData("GET", "/v1/usage")]
    [InlineData("DELETE", "/v1/state/agent-1/session-1")]
    public async Task APreflightForATenantRouteIsAnsweredBeforeAnyKeyIsAsked(string method, string path)
    {
        using var api = system.CreateApiClient();
        using var preflight = Preflight(path, method);

        using var response = await api.SendAsync(preflight, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Header(response, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        var allowed = Header(response, "Access-Control-Allow-Headers").Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("authorization", allowed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("content-type", allowed, StringComparer.OrdinalIgnoreCase);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task ACrossOriginCallAndItsRefusalBothLetThePageReadTheAnswerAndTheLimitHeaders()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);

        using var call = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
        call.Headers.Add("Origin", Origin);
        using var answered = await tenant.Client.SendAsync(call, cancellationToken);
        await Envelope.ReadDataAsync(answered, HttpStatusCode.OK);
        Assert.Equal("*", Header(answered, "Access-Control-Allow-Origin"));
        var exposed = Header(answered, "Access-Control-Expose-Headers").Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("Retry-After", exposed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("RateLimit", exposed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("RateLimit-Policy", exposed, StringComparer.OrdinalIgnoreCase);

        // A refused call is readable too: the page can show the contract's error instead of a network failure.
        using var api = system.CreateApiClient();
        using var refused = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
        refused.Headers.Add("Origin", Origin);
        refused.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "mnm_not-a-key");
        using var unauthorized = await api.SendAsync(refused, cancellationToken);
        await Envelope.ReadErrorAsync(unauthorized, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("*", Header(unauthorized, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task TheOperatorApiAnswersNoCrossOriginCall()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var api = system.CreateApiClient();
        using var preflight = Preflight("/admin/v1/tenants", "POST");
        using var preflightAnswer = await api.SendAsync(preflight, cancellationToken);
        Assert.False(preflightAnswer.IsSuccessStatusCode, $"A preflight on /admin/v1 answered {(int)preflightAnswer.StatusCode}.");
        Assert.False(preflightAnswer.Headers.Contains("Access-Control-Allow-Origin"));

        using var admin = system.CreateOperatorClient();
        using var call = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants");
        call.Headers.Add("Origin", Origin);
        using var answered = await admin.SendAsync(call, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.False(answered.Headers.Contains("Access-Control-Allow-Origin"), "The operator API let a page on another origin read its answer.");
    }

    private static HttpRequestMessage Preflight(string path, string method)
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, path);
        preflight.Headers.Add("Origin", Origin);
        preflight.Headers.Add("Access-Control-Request-Method", method);
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return preflight;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
}
