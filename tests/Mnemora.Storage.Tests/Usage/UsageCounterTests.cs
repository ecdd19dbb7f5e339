using Microsoft.Extensions.DependencyInjection;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Usage;

/// <summary>Reported-only counters are added up in memory: exact on the replica that counts, and in the store after a graceful stop.</summary>
public sealed class UsageCounterTests(StoreSystem system)
{
    [Fact]
    public async Task EmbeddingsCountedInMemoryAreReadExactlyAndWrittenWhenTheHostStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        using var counting = await StoreHost.CreateAsync(system.App, ct);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        var meter = counting.Services.GetRequiredService<IUsageMeter>();

        await Parallel.ForAsync(0, 200, ct, async (_, token) =>
            await meter.RecordAsync(tenant, new UsageDelta(EmbeddingsGenerated: 3), token));
        await meter.RecordAsync(tenant, new UsageDelta(Vectors: 5, EmbeddingsGenerated: 1), ct);

        // The replica that counted reads its own unwritten share; the vector count (a limit) is written at once.
        var own = await meter.GetTotalsAsync(tenant, ct);
        Assert.Equal(601, own.EmbeddingsGeneratedThisMonth);
        Assert.Equal(5, (await witness.Services.GetRequiredService<IUsageMeter>().GetTotalsAsync(tenant, ct)).Vectors);

        await counting.StopAsync(ct);

        var stored = await witness.Services.GetRequiredService<IUsageMeter>().GetTotalsAsync(tenant, ct);
        Assert.Equal(601, stored.EmbeddingsGeneratedThisMonth);
        Assert.Equal(5, stored.Vectors);
    }

    [Fact]
    public async Task AFlushWritesWhatWasCountedOnceAndNothingTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        using var counting = await StoreHost.CreateAsync(system.App, ct);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        var meter = counting.Services.GetRequiredService<DynamoUsageMeter>();

        await meter.RecordAsync(tenant, new UsageDelta(EmbeddingsGenerated: 7), ct);
        await meter.FlushAsync(ct);
        await meter.FlushAsync(ct);
        await meter.RecordAsync(tenant, new UsageDelta(EmbeddingsGenerated: 2), ct);
        await meter.FlushAsync(ct);

        Assert.Equal(9, (await witness.Services.GetRequiredService<IUsageMeter>().GetTotalsAsync(tenant, ct)).EmbeddingsGeneratedThisMonth);
        Assert.Equal(9, (await meter.GetTotalsAsync(tenant, ct)).EmbeddingsGeneratedThisMonth);
    }

    [Fact]
    public async Task AReadDuringAFlushNeitherMissesNorDoublesTheCountBeingWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        using var counting = await StoreHost.CreateAsync(system.App, ct);
        var meter = counting.Services.GetRequiredService<DynamoUsageMeter>();

        // Each round leaves a count in memory, then writes it while the same replica reads the total: the write
        // lands before, during or after the read's store call, and the total must be exact whichever it was.
        var counted = 0L;
        var wrong = new List<string>();
        for (var round = 0; round < 40; round++)
        {
            await meter.RecordAsync(tenant, new UsageDelta(EmbeddingsGenerated: round + 1), ct);
            counted += round + 1;
            var flush = meter.FlushAsync(ct);
            var read = meter.GetTotalsAsync(tenant, ct);
            await Task.WhenAll(flush, read);
            var total = (await read).EmbeddingsGeneratedThisMonth;
            if (total != counted)
            {
                wrong.Add($"round {round}: read {total} of {counted}");
            }
        }

        Assert.Empty(wrong);
    }
}
