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
        await EpisodicApiTests.WriteAsync(tenant.Client, "planner", 3, _ => "s1", ct);
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

        // A tenant without agents exports a header and an end line.
        var empty = TransferClient.Lines(await admin.ExportAsync($"/admin/v1/tenants/{(await system.CreateTenantAsync("free", ct)).TenantId}/export", ct));
        Assert.Equal(2, empty.Count);
        Assert.Equal(0, empty[1].GetProperty("records").GetInt32());
    }
}
