using System.Net.Http.Headers;

namespace Mnemora.Api.Tests.Infrastructure;

/// <summary>A tenant created through the operator API, with an HTTP client that sends its API key.</summary>
public sealed record TestTenant(string TenantId, string ApiKey, HttpClient Client) : IDisposable
{
    public void Dispose() => Client.Dispose();
}

public static class TestTenants
{
    /// <summary>Creates a fresh tenant (unique id) of the given tier and issues it a key, through <c>/admin/v1</c>.</summary>
    public static async Task<TestTenant> CreateTenantAsync(this MnemoraApp system, string tier = "free", CancellationToken cancellationToken = default)
    {
        var tenantId = $"t-{Guid.NewGuid():N}";
        using var admin = system.CreateOperatorClient();
        var created = await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = $"Test {tenantId}", tier }, cancellationToken);
        await Envelope.ReadDataAsync(created, HttpStatusCode.Created);

        var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "test" }, cancellationToken);
        var key = (await Envelope.ReadDataAsync(issued, HttpStatusCode.Created)).GetProperty("api_key").GetString()!;

        var client = system.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        // Imports of thousands of rows on a two-core machine running several systems take minutes; 100 s cut them off.
        client.Timeout = TimeSpan.FromMinutes(5);
        return new TestTenant(tenantId, key, client);
    }

    /// <summary>An HTTP client for the API that sends the operator key.</summary>
    public static HttpClient CreateOperatorClient(this MnemoraApp system)
    {
        var client = system.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", system.OperatorKey);
        return client;
    }
}
