using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Tenancy;

/// <summary>
/// The audit trail (issue 18 item 6) through the operator API: what a tenant's life leaves in it, newest first, paged,
/// with actors and request ids, and never a key or memory content.
/// </summary>
public sealed class AuditTrailTests(MnemoraApp system)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATenantsLifeIsInItsAuditTrailNewestFirstWithoutKeysOrContent()
    {
        using var admin = system.CreateOperatorClient();
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        const string Secret = "The vault code is 9-9-1-4";
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "audited", content = Secret }, Ct), HttpStatusCode.Created);
        var tier = await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { tier = "pro" }, Ct);
        await Envelope.ReadDataAsync(tier, HttpStatusCode.OK);
        var retention = await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = 30 }, Ct), HttpStatusCode.OK);
        Assert.Equal(30, retention.GetProperty("retention_days").GetInt32());
        var second = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { name = "second" }, Ct), HttpStatusCode.Created);
        var secondKey = second.GetProperty("api_key").GetString()!;
        var secondId = second.GetProperty("key_id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{secondId}", Ct)).StatusCode);
        var purge = await tenant.Client.DeleteAsync("/v1/memory/audited", Ct);
        await Envelope.ReadDataAsync(purge, HttpStatusCode.OK);
        var kept = await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = (int?)null }, Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("retention_days").ValueKind);

        var raw = await (await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/audit", Ct)).Content.ReadAsStringAsync(Ct);
        var events = JsonDocument.Parse(raw).RootElement.GetProperty("data").GetProperty("events").EnumerateArray().ToList();

        Assert.Equal(
            ["tenant.retention_changed", "agent.purged", "key.revoked", "key.issued", "tenant.retention_changed", "tenant.tier_changed", "key.issued", "tenant.created"],
            events.Select(e => e.GetProperty("action").GetString()));
        Assert.All(events, e =>
        {
            Assert.Equal(tenant.TenantId, e.GetProperty("tenant_id").GetString());
            Assert.Equal("success", e.GetProperty("outcome").GetString());
            Assert.False(string.IsNullOrEmpty(e.GetProperty("request_id").GetString()));
        });
        Assert.StartsWith("key:", events[1].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("operator", events[2].GetProperty("actor").GetString());
        Assert.Equal(secondId, events[2].GetProperty("details").GetProperty("key_id").GetString());
        Assert.DoesNotContain(secondKey, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.ApiKey, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, raw, StringComparison.Ordinal);

        // Paged: three pages of three, the same order.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Envelope.ReadDataAsync(
                await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/audit?limit=3{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", Ct), HttpStatusCode.OK);
            paged.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(events.Select(e => e.GetProperty("id").GetString()), paged);
    }

    [Fact]
    public async Task OperatorSignInsAndEveryTenantsEventsAreInTheWholeTrail()
    {
        using var admin = system.CreateOperatorClient();
        var failed = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/audit/sign-ins", new { outcome = "failure", client = "10.0.0.7" }, Ct), HttpStatusCode.OK);
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);

        var all = await Envelope.ReadDataAsync(await admin.GetAsync("/admin/v1/audit?limit=100", Ct), HttpStatusCode.OK);
        var ids = all.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("tenant_id").ValueKind == JsonValueKind.Null ? null : e.GetProperty("tenant_id").GetString())).ToList();

        Assert.Contains(("operator.sign_in", (string?)null), ids);
        Assert.Contains(("tenant.created", tenant.TenantId), ids);
        Assert.Equal("failure", failed.GetProperty("outcome").GetString());
        await Envelope.ReadErrorAsync(await admin.PostAsJsonAsync("/admin/v1/audit/sign-ins", new { outcome = "maybe" }, Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task TheTrailIsTheOperatorsOnlyAndRefusesBadInput()
    {
        using var admin = system.CreateOperatorClient();
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);

        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/audit", Ct), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/admin/v1/audit", Ct), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(await admin.GetAsync($"/admin/v1/tenants/t-{Guid.NewGuid():N}/audit", Ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/audit?cursor=nope", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/audit?limit=0", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = 0 }, Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = "30" }, Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
