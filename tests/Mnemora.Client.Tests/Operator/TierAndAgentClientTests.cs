using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Operator;

/// <summary>The operator's tier table, agents and daily calls, and the limits a tenant reads, through the SDK against the real API.</summary>
public sealed class TierAndAgentClientTests(MnemoraApp system)
{
    private MnemoraOperatorClient Operator => system.Operator;

    [Fact]
    public async Task TheTiersAreTheContractsTableInDecimalUnits()
    {
        var tiers = await Operator.ListTiersAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                new TierLimits(TenantTier.Free, 500, 5_000, 50_000_000, 10_000),
                new TierLimits(TenantTier.Starter, 5_000, 50_000, 500_000_000, 100_000),
                new TierLimits(TenantTier.Pro, 25_000, 250_000, 5_000_000_000, 500_000),
                new TierLimits(TenantTier.Scale, 50_000, 500_000, 10_000_000_000, 1_000_000),
            ],
            tiers);
    }

    [Fact]
    public async Task UsageCarriesEveryLimitOfTheTenantsTierAsTheTierTableServesIt()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tiers = (await Operator.ListTiersAsync(cancellationToken)).ToDictionary(t => t.Tier);
        var tenant = await system.CreateTenantAsync(TenantTier.Free, cancellationToken);

        var usage = await tenant.Client.GetUsageAsync(cancellationToken);
        Assert.Equal(
            tiers[TenantTier.Free],
            new TierLimits(usage.Tier, usage.DailyLimit, usage.VectorLimit, usage.StorageLimitBytes, usage.EmbeddingsLimitMonth));

        await Operator.UpdateTenantAsync(tenant.TenantId, tier: TenantTier.Pro, cancellationToken: cancellationToken);
        var upgraded = (await Operator.GetTenantAsync(tenant.TenantId, cancellationToken)).Usage;
        Assert.Equal(
            tiers[TenantTier.Pro],
            new TierLimits(upgraded.Tier, upgraded.DailyLimit, upgraded.VectorLimit, upgraded.StorageLimitBytes, upgraded.EmbeddingsLimitMonth));
    }

    [Fact]
    public async Task TheVectorCountFollowsTheStoredMemories()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        Assert.Equal(0, await client.GetVectorCountAsync(cancellationToken));

        var kept = await client.StoreMemoryAsync("vector-agent", "The customer prefers email over phone calls.", cancellationToken: cancellationToken);
        var removed = await client.StoreMemoryAsync("vector-agent", "Order 8841 shipped from the Rotterdam warehouse on Tuesday.", cancellationToken: cancellationToken);
        Assert.Equal(2, await client.GetVectorCountAsync(cancellationToken));

        await client.DeleteMemoryAsync(removed.Id, cancellationToken);
        Assert.Equal(1, await client.GetVectorCountAsync(cancellationToken));
        Assert.Equal((await client.GetUsageAsync(cancellationToken)).VectorsStored, await client.GetVectorCountAsync(cancellationToken));
        Assert.NotEqual(kept.Id, removed.Id);
    }

    [Fact]
    public async Task AnOperatorListsATenantsAgentsWithTheirRecordsAndPurgesOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(TenantTier.Starter, cancellationToken);
        await tenant.Client.StoreStateAsync("billing-bot", new JsonObject { ["step"] = 1 }, cancellationToken: cancellationToken);
        await tenant.Client.StoreMemoryAsync("billing-bot", "Invoices go out on the first working day of the month.", cancellationToken: cancellationToken);
        await tenant.Client.StoreEpisodeAsync("billing-bot", "s1", EpisodeType.Action, "sent invoice 77", cancellationToken: cancellationToken);
        await tenant.Client.StoreEpisodeAsync("billing-bot", "s1", EpisodeType.Observation, "invoice 77 paid", cancellationToken: cancellationToken);
        await tenant.Client.StoreStateAsync("triage-bot", new JsonObject { ["queue"] = "urgent" }, cancellationToken: cancellationToken);

        var agents = await Operator.ListAgentsAsync(tenant.TenantId, cancellationToken);
        Assert.Equal(["billing-bot", "triage-bot"], agents.Select(a => a.AgentId));
        Assert.Equal(new AgentSummary("billing-bot", 1, 1, 2), agents[0]);

        var purged = await Operator.PurgeAgentAsync(tenant.TenantId, "billing-bot", cancellationToken);
        Assert.Equal("billing-bot", purged.AgentId);
        Assert.Equal((1L, 1L, 2L), (purged.Deleted.State, purged.Deleted.Semantic, purged.Deleted.Episodic));
        await Assert.ThrowsAsync<NotFoundException>(() => tenant.Client.GetStateAsync("billing-bot", cancellationToken: cancellationToken));

        var again = await Operator.PurgeAgentAsync(tenant.TenantId, "billing-bot", cancellationToken);
        Assert.Equal((0L, 0L, 0L), (again.Deleted.State, again.Deleted.Semantic, again.Deleted.Episodic));
        Assert.DoesNotContain(await Operator.ListAgentsAsync(tenant.TenantId, cancellationToken), a => a.AgentId == "billing-bot" && a.State + a.Semantic + a.Episodic > 0);
    }

    [Fact]
    public async Task DailyUsageListsConsecutiveDaysOldestFirstEndingWithTheCallsJustMade()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(TenantTier.Free, cancellationToken);
        for (var i = 0; i < 3; i++)
        {
            await tenant.Client.GetUsageAsync(cancellationToken);
        }

        var days = await Operator.GetDailyUsageAsync(tenant.TenantId, days: 7, cancellationToken);

        Assert.Equal(7, days.Count);
        Assert.All(days.Zip(days.Skip(1)), pair => Assert.Equal(pair.First.Date.AddDays(1), pair.Second.Date));
        // The last two days, so that a run across UTC midnight still counts every call.
        Assert.Equal(3, days[^1].ApiCalls + days[^2].ApiCalls);
        Assert.Equal(30, (await Operator.GetDailyUsageAsync(tenant.TenantId, cancellationToken: cancellationToken)).Count);
    }

    [Fact]
    public async Task TheOperatorsTenantRoutesAnswerAnUnknownTenantWithNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var missing = $"missing-{Guid.NewGuid():N}";

        await Assert.ThrowsAsync<NotFoundException>(() => Operator.ListAgentsAsync(missing, cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.PurgeAgentAsync(missing, "agent", cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.GetDailyUsageAsync(missing, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.ExportTenantAsync(missing, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => Operator.GetDailyUsageAsync(missing, days: 0, cancellationToken));
    }
}
