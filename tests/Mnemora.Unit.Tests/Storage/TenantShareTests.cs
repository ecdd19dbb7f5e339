using Mnemora.Storage;

namespace Mnemora.Unit.Tests.Storage;

/// <summary>A tenant's share of a pool: its own calls wait on each other, another tenant's never do.</summary>
public sealed class TenantShareTests
{
    [Fact]
    public async Task ATenantOverItsShareIsRefusedWhileAnotherTenantStillEnters()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var share = new TenantShare("postgres", perTenant: 2, wait: TimeSpan.FromMilliseconds(50));
        using var first = await share.EnterAsync("tenant-a", cancellationToken);
        using var second = await share.EnterAsync("tenant-a", cancellationToken);

        var busy = await Assert.ThrowsAsync<TenantBusyException>(async () => await share.EnterAsync("tenant-a", cancellationToken));
        Assert.Equal("postgres", busy.Resource);
        Assert.True(busy.RetryAfter > TimeSpan.Zero);

        using (await share.EnterAsync("tenant-b", cancellationToken))
        {
            Assert.Equal(1, share.InUse("tenant-b"));
        }

        Assert.Equal(0, share.InUse("tenant-b"));
        Assert.Equal(2, share.InUse("tenant-a"));
    }

    [Fact]
    public async Task AWaitingCallEntersWhenOneOfItsTenantsCallsEnds()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var share = new TenantShare("embeddings", perTenant: 1, wait: TimeSpan.FromMinutes(1));
        var held = await share.EnterAsync("tenant-a", cancellationToken);
        var waiting = share.EnterAsync("tenant-a", cancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2, share.InUse("tenant-a"));

        held.Dispose();
        using (await waiting)
        {
            Assert.Equal(1, share.InUse("tenant-a"));
        }

        // Nothing of a tenant stays once its calls are over.
        Assert.Equal(0, share.InUse("tenant-a"));
    }

    [Fact]
    public async Task ACancelledWaitGivesItsPlaceInLineBack()
    {
        var share = new TenantShare("postgres", perTenant: 1, wait: TimeSpan.FromMinutes(1));
        using var held = await share.EnterAsync("tenant-a", TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();
        var waiting = share.EnterAsync("tenant-a", cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, share.InUse("tenant-a"));
    }
}
