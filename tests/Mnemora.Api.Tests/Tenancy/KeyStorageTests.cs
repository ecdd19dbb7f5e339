using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class KeyStorageTests(MnemoraApp system)
{
    [Fact]
    public async Task NoStoredItemHoldsAPlaintextKeyOnlyItsHash()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        using var table = await TenantsTable.OpenAsync(system);
        var hash = TenantsTable.Sha256Hex(tenant.ApiKey);

        // Every partition the tenancy feature writes: the key by hash, the tenant's own, the registry.
        var byHash = await table.PartitionAsync($"KEY#{hash}", cancellationToken);
        var own = await table.PartitionAsync($"TENANT#{tenant.TenantId}", cancellationToken);
        var registry = await table.PartitionAsync("TENANTS", cancellationToken);

        var key = Assert.Single(byHash);
        Assert.Equal(tenant.TenantId, key["tenant_id"].S);
        Assert.Equal(hash, key["key_hash"].S);
        Assert.Equal(tenant.ApiKey[..12], key["prefix"].S);
        Assert.Contains(own, item => item["sk"].S.StartsWith("KEY#", StringComparison.Ordinal));
        Assert.Contains(registry, item => item["tenant_id"].S == tenant.TenantId);

        // Nothing beyond the 12-character display prefix of the key appears anywhere, in any attribute.
        var secret = tenant.ApiKey[12..];
        foreach (var item in byHash.Concat(own).Concat(registry))
        {
            foreach (var (name, value) in item)
            {
                var text = value.S ?? value.N ?? string.Empty;
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, name, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task IssuedKeysHaveTheContractsShapeAndAreListedByPrefixOnly()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var admin = system.CreateOperatorClient();

        var issued = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { }, cancellationToken), HttpStatusCode.Created);
        var plaintext = issued.GetProperty("api_key").GetString()!;
        var listed = await admin.GetStringAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", cancellationToken);

        Assert.Matches("^mnm_[A-Za-z0-9]{43}$", plaintext);
        Assert.NotEqual(tenant.ApiKey, plaintext);
        Assert.EndsWith("Z", issued.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        Assert.Contains(issued.GetProperty("key_id").GetString()!, listed, StringComparison.Ordinal);
        Assert.Contains(issued.GetProperty("prefix").GetString()!, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(plaintext, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.ApiKey, listed, StringComparison.Ordinal);
    }
}
