using System.Net.Http.Headers;

namespace Mnemora.Client.Tests.Infrastructure;

/// <summary>
/// That the running server has the route a client call uses: a request with an invalid identifier
/// is a 400 where the route exists and a 404/405 where it does not, which fails the test.
/// </summary>
public static class Routes
{
    public const string StateProbe = "GET v1/state/bad%23id";
    public const string SemanticProbe = "GET v1/memory/semantic/not-a-uuid";
    public const string EpisodicProbe = "GET v1/memory/episodic/bad%23id";
    public const string SummarizeProbe = "POST v1/memory/episodic/bad%23id/summarize";
    public const string AgentMemoryProbe = "GET v1/memory/bad%23id";
    public const string PurgeProbe = "DELETE v1/memory/bad%23id";
    public const string UnifiedStoreProbe = "POST v1/memory";
    public const string SearchAllProbe = "POST v1/memory/search";

    /// <summary>Fails the calling test when the server lacks the probed route: a client call without its route is a bug, not a skip.</summary>
    public static async Task RequireAsync(this MnemoraApp system, string probe, CancellationToken cancellationToken)
    {
        var tenant = await system.CreateTenantAsync(TenantTier.Pro, cancellationToken);
        var (method, path) = (probe.Split(' ')[0], probe.Split(' ')[1]);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.ApiKey);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await system.Services.GetHttpClient("Mnemora").SendAsync(request, cancellationToken);
        Assert.False(
            response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed,
            $"The client calls {method} /{path}, which the API does not serve (it answers {(int)response.StatusCode}).");
    }
}
