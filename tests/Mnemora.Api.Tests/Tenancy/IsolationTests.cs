using System.Net.Http.Headers;
using System.Text;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class IsolationTests(MnemoraApp system)
{
    [Fact]
    public async Task EachKeySeesOnlyItsOwnTenantsUsage()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("free", cancellationToken);
        using var b = await system.CreateTenantAsync("pro", cancellationToken);
        using var table = await TenantsTable.OpenAsync(system);
        var meter = table.UsageMeter;
        await meter.TrackAgentAsync(a.TenantId, "agent-1", "session-1", cancellationToken);
        await meter.RecordAsync(a.TenantId, new Storage.Usage.UsageDelta(Vectors: 7, DynamoBytes: 1000, EmbeddingsGenerated: 3), cancellationToken);
        // Another replica's embeddings count reaches the store on its next flush (within a second); this one flushes now.
        await table.FlushUsageAsync(cancellationToken);

        for (var i = 0; i < 3; i++)
        {
            await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        }

        var usageA = await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        var usageB = await Envelope.ReadDataAsync(await b.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        Assert.Equal(("free", 500, 4, 1, 1, 7, 1000, 3), Summary(usageA));
        Assert.Equal(("pro", 25_000, 1, 0, 0, 0, 0, 0), Summary(usageB));
    }

    [Fact]
    public Task ATenantIdInTheBodyQueryOrHeadersChangesNothing() => UtcDay.RunAsync(ATenantIdInTheBodyQueryOrHeadersChangesNothingOnceAsync);

    private async Task ATenantIdInTheBodyQueryOrHeadersChangesNothingOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("free", cancellationToken);
        using var b = await system.CreateTenantAsync("scale", cancellationToken);
        using var table = await TenantsTable.OpenAsync(system);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/usage?tenant_id={b.TenantId}&tenant={b.TenantId}")
        {
            Content = new StringContent($$"""{"tenant_id": "{{b.TenantId}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Tenant-Id", b.TenantId);
        request.Headers.Add("Tenant-Id", b.TenantId);
        request.Headers.Add("X-Mnemora-Tenant", b.TenantId);
        var usage = await Envelope.ReadDataAsync(await a.Client.SendAsync(request, cancellationToken), HttpStatusCode.OK);

        Assert.Equal("free", usage.GetProperty("tier").GetString());
        Assert.Equal(500, usage.GetProperty("daily_limit").GetInt64());
        Assert.Equal(1, usage.GetProperty("api_calls_today").GetInt64());
        // The store may count a lease of A's calls for a while; B's day has no call at all.
        Assert.InRange(await table.CallsTodayAsync(a.TenantId, cancellationToken), 1, CallLeasesMax);
        Assert.Equal(0, await table.CallsTodayAsync(b.TenantId, cancellationToken));
    }

    private const long CallLeasesMax = 50;

    [Fact]
    public async Task ARevokedKeyIsRefusedWithinFiveSeconds()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var admin = system.CreateOperatorClient();
        using var second = await IssueKeyAsync(admin, tenant.TenantId, cancellationToken);

        // Both keys work, and are cached as working.
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        await Envelope.ReadDataAsync(await second.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        var revoked = await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{second.KeyId}", cancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        var elapsed = await TimeUntilUnauthorizedAsync(second.Client, cancellationToken);

        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"The revoked key worked for {elapsed}.");
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        var keys = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", cancellationToken), HttpStatusCode.OK);
        var entry = keys.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == second.KeyId);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, entry.GetProperty("revoked_at").ValueKind);
    }

    [Fact]
    public async Task ADeletedTenantsKeysAreRefusedWithinFiveSecondsAndItsIdIsNotReused()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("starter", cancellationToken);
        using var admin = system.CreateOperatorClient();
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        var deleted = await Envelope.ReadDataAsync(await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}", cancellationToken), HttpStatusCode.OK);
        var elapsed = await TimeUntilUnauthorizedAsync(tenant.Client, cancellationToken);

        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"The deleted tenant's key worked for {elapsed}.");
        Assert.Equal(1, deleted.GetProperty("keys_revoked").GetInt32());
        var shown = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}", cancellationToken), HttpStatusCode.OK);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, shown.GetProperty("deleted_at").ValueKind);
        var again = await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenant.TenantId, name = "again" }, cancellationToken);
        await Envelope.ReadErrorAsync(again, HttpStatusCode.Conflict, "CONFLICT");
        var key = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { name = "after" }, cancellationToken);
        await Envelope.ReadErrorAsync(key, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    /// <summary>Polls until the client's key gets 401, for at most 10 s; returns how long that took.</summary>
    private static async Task<TimeSpan> TimeUntilUnauthorizedAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await client.GetAsync("/v1/usage", cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                await Envelope.ReadErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
                return started.Elapsed;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Task.Delay(100, cancellationToken);
        }

        return started.Elapsed;
    }

    private async Task<IssuedKey> IssueKeyAsync(HttpClient admin, string tenantId, CancellationToken cancellationToken)
    {
        var issued = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "second" }, cancellationToken), HttpStatusCode.Created);
        var client = system.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.GetProperty("api_key").GetString());
        return new IssuedKey(issued.GetProperty("key_id").GetString()!, client);
    }

    private static (string?, long, long, long, long, long, long, long) Summary(System.Text.Json.JsonElement usage) => (
        usage.GetProperty("tier").GetString(),
        usage.GetProperty("daily_limit").GetInt64(),
        usage.GetProperty("api_calls_today").GetInt64(),
        usage.GetProperty("agents_count").GetInt64(),
        usage.GetProperty("sessions_count").GetInt64(),
        usage.GetProperty("vectors_stored").GetInt64(),
        usage.GetProperty("storage").GetProperty("dynamo_bytes").GetInt64(),
        usage.GetProperty("embeddings_generated_month").GetInt64());

    private sealed record IssuedKey(string KeyId, HttpClient Client) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }
}
