using Microsoft.Extensions.DependencyInjection;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Tests.Infrastructure;

namespace Mnemora.Storage.Tests.Tenancy;

/// <summary>Creating a tenant: an id is taken once, and a put the SDK sends again after a timeout is not mistaken for a taken id.</summary>
public sealed class TenantStoreTests(StoreSystem system)
{
    [Fact]
    public async Task TheSameCreationSentTwiceIsCreatedOnceAndListed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StoreHost.CreateAsync(system.App, ct);
        var store = host.Services.GetRequiredService<TenantStore>();
        var tenant = new TenantRecord($"t-{Guid.NewGuid():N}", "Acme", "free", DateTime.UtcNow, DeletedAt: null);

        // What the SDK does when the first attempt's answer is lost: the same item, the same condition, again.
        Assert.True(await store.CreateTenantAsync(tenant, ct));
        Assert.True(await store.CreateTenantAsync(tenant, ct));

        Assert.Equal(tenant.Name, (await store.GetTenantAsync(tenant.TenantId, ct))?.Name);
        Assert.Single(await store.ListTenantsAsync(ct), t => t.TenantId == tenant.TenantId);
    }

    [Fact]
    public async Task AnotherCreationOfATakenIdIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StoreHost.CreateAsync(system.App, ct);
        var store = host.Services.GetRequiredService<TenantStore>();
        var tenant = new TenantRecord($"t-{Guid.NewGuid():N}", "Acme", "free", DateTime.UtcNow, DeletedAt: null);
        Assert.True(await store.CreateTenantAsync(tenant, ct));

        Assert.False(await store.CreateTenantAsync(tenant with { CreatedAt = tenant.CreatedAt.AddTicks(1) }, ct));
        Assert.False(await store.CreateTenantAsync(tenant with { Name = "Other" }, ct));

        // A deleted tenant's id is never reused, even by a creation identical to the first.
        await store.MarkDeletedAsync(tenant.TenantId, DateTime.UtcNow, ct);
        Assert.False(await store.CreateTenantAsync(tenant, ct));
    }
}
