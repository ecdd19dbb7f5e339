using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Memory;

namespace Mnemora.Api.Tests.Export;

/// <summary>Export and import never cross tenants: the tenant is the key's, whatever the file says; the operator exports a whole tenant.</summary>
public sealed class TransferIsolationTests(MnemoraApp system)
{
    [Fact]
    public async Task AnotherTenantsAgentCannotBeExported()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var owner = await system.CreateTenantAsync("pro", ct);
        using var other = await system.CreateTenantAsync("pro", ct);
        await ExportImportTests.SeedAsync(owner, host, "shared-name", ct);

        var foreign = await Envelope.ReadErrorAsync(await other.Client.GetAsync("/v1/memory/shared-name/export", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        var missing = await Envelope.ReadErrorAsync(await other.Client.GetAsync("/v1/memory/never-existed/export", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(missing.GetProperty("error").GetRawText(), foreign.GetProperty("error").GetRawText());

        // The same agent id in the other tenant exports only that tenant's records.
        await Envelope.ReadDataAsync(await other.Client.PostAsJsonAsync("/v1/state", new { agent_id = "shared-name", data = new { mine = true } }, ct), HttpStatusCode.Created);
        var records = TransferClient.Records(await other.ExportAgentAsync("shared-name", ct));
        var state = Assert.Single(records);
        Assert.Equal("""{"mine":true}""", state.GetProperty("data").GetRawText());

        await Envelope.ReadErrorAsync(await other.Client.GetAsync("/v1/memory/a%23b/export", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task ImportingAnotherTenantsExportNeverWritesIntoThatTenant()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var owner = await system.CreateTenantAsync("pro", ct);
        using var importer = await system.CreateTenantAsync("pro", ct);
        await ExportImportTests.SeedAsync(owner, host, "agent-1", ct);
        var before = await owner.ExportAgentAsync("agent-1", ct);

        // Every line claims the owner's tenant: the claim is ignored.
        var forged = string.Concat(before.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var node = JsonNode.Parse(line)!.AsObject();
            node["tenant_id"] = owner.TenantId;
            return node.ToJsonString() + "\n";
        }));
        await importer.ImportOkAsync(forged, ct);

        Assert.Equal(
            TransferClient.Records(before).Select(r => r.GetRawText()),
            TransferClient.Records(await owner.ExportAgentAsync("agent-1", ct)).Select(r => r.GetRawText()));
        ExportImportTests.AssertSameRecords(before, await importer.ExportAgentAsync("agent-1", ct));

        // The owner's memory ids stay the owner's: readable with its key, absent with the importer's.
        foreach (var memory in TransferClient.Records(before, "semantic"))
        {
            var id = memory.GetProperty("id").GetString();
            var read = await Envelope.ReadDataAsync(await owner.Client.GetAsync($"/v1/memory/semantic/{id}", ct), HttpStatusCode.OK);
            Assert.Equal(memory.GetProperty("content").GetString(), read.GetProperty("content").GetString());
            await Envelope.ReadErrorAsync(await importer.Client.GetAsync($"/v1/memory/semantic/{id}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        }

        var ownerUsage = await Envelope.ReadDataAsync(await owner.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(3, ownerUsage.GetProperty("vectors_stored").GetInt64());
    }

    [Fact]
    public async Task TheOperatorExportsEveryAgentOfATenantAndATenantKeyCannot()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        using var fresh = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/state", new { agent_id = "planner", data = new { plan = "A" } }, ct), HttpStatusCode.Created);
        await EpisodicApi.WriteAsync(tenant.Client, "planner", 3, _ => "s1", ct);
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "librarian", content = "The library closes at six on Fridays." }, ct), HttpStatusCode.Created);

        var exported = await admin.ExportAsync($"/admin/v1/tenants/{tenant.TenantId}/export", ct);
        var header = TransferClient.Lines(exported)[0];
        Assert.Equal("tenant", header.GetProperty("scope").GetString());
        Assert.Equal(tenant.TenantId, header.GetProperty("tenant_id").GetString());
        var records = TransferClient.Records(exported);
        Assert.Equal(["librarian", "planner"], records.Select(r => r.GetProperty("agent_id").GetString()).Distinct().Order());
        Assert.Equal(5, records.Count);
        Assert.Equal(
            TransferClient.Records(await tenant.ExportAgentAsync("planner", ct)).Select(r => r.GetRawText()),
            records.Where(r => r.GetProperty("agent_id").GetString() == "planner").Select(r => r.GetRawText()));

        // The operator's file imports into another tenant through that tenant's key.
        await fresh.ImportOkAsync(exported, ct);
        ExportImportTests.AssertSameRecords(await tenant.ExportAgentAsync("librarian", ct), await fresh.ExportAgentAsync("librarian", ct));
        ExportImportTests.AssertSameRecords(await tenant.ExportAgentAsync("planner", ct), await fresh.ExportAgentAsync("planner", ct));

        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/export", ct), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/tenants/no-such-tenant/export", ct), HttpStatusCode.NotFound, "NOT_FOUND");

        // A tenant without agents exports a header, its audit events and an end line.
        var empty = await admin.ExportAsync($"/admin/v1/tenants/{(await system.CreateTenantAsync("free", ct)).TenantId}/export", ct);
        Assert.Empty(TransferClient.Records(empty));
        Assert.Equal(0, TransferClient.Lines(empty)[^1].GetProperty("records").GetInt32());
    }

    [Fact]
    public async Task ATenantExportCarriesItsOwnAuditEventsWithoutKeysOrContent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        using var other = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        const string Secret = "The locker combination is 31-7-22";
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "keeper", content = Secret }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = 30 }, ct), HttpStatusCode.OK);
        var issued = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { name = "second" }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{other.TenantId}", new { tier = "free" }, ct), HttpStatusCode.OK);

        var exported = await admin.ExportAsync($"/admin/v1/tenants/{tenant.TenantId}/export", ct);
        var events = TransferClient.AuditEvents(exported);

        // Newest first, this export's own event included; the other tenant's tier change is not there.
        Assert.Equal(["agent.exported", "key.issued", "tenant.retention_changed", "key.issued", "tenant.created"], events.Select(e => e.GetProperty("action").GetString()));
        Assert.All(events, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("id").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("request_id").GetString()));
            Assert.Equal("success", e.GetProperty("outcome").GetString());
            Assert.Equal(JsonValueKind.Object, e.GetProperty("details").ValueKind);
        });
        Assert.Equal(issued.GetProperty("key_id").GetString(), events[1].GetProperty("details").GetProperty("key_id").GetString());
        Assert.DoesNotContain(issued.GetProperty("api_key").GetString()!, exported, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.ApiKey, exported, StringComparison.Ordinal);
        Assert.Single(TransferClient.Records(exported, "semantic"));
        Assert.Equal(1, exported.Split(Secret).Length - 1);

        // The file still imports: the events are the exporting tenant's record, not written into the importer's trail.
        var imported = await other.ImportOkAsync(exported, ct);
        Assert.Equal(1, imported.GetProperty("records").GetInt32());
        var otherTrail = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{other.TenantId}/audit", ct), HttpStatusCode.OK);
        Assert.DoesNotContain(otherTrail.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "tenant.retention_changed");
    }
}
