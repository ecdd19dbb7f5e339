using TenantTier = Mnemora.Api.Tenancy.TenantTier;
using TierLimits = Mnemora.Api.Tenancy.TierLimits;

namespace Mnemora.Unit.Tests.Api;

/// <summary>The tier table is the contract's: decimal units, every tier larger than the one below.</summary>
public sealed class TierLimitsTests
{
    [Fact]
    public void TheFreeTierMatchesTheContractInDecimalUnits()
    {
        var free = TierLimits.DefaultFor(TenantTier.Free);

        Assert.Equal(500, free.CallsPerDay);
        Assert.Equal(5_000, free.Vectors);
        Assert.Equal(50_000_000, free.StorageBytes);
        Assert.Equal(10_000, free.EmbeddingsPerMonth);
    }

    [Fact]
    public void TheScaleTierCountsTenDecimalGigabytes() =>
        Assert.Equal(10_000_000_000, TierLimits.DefaultFor(TenantTier.Scale).StorageBytes);

    [Fact]
    public void EveryTierIsListedOnceSmallestFirstAndEachLimitGrows()
    {
        Assert.Equal(Enum.GetValues<TenantTier>(), TierLimits.Defaults.Select(t => t.Tier));
        foreach (var (smaller, larger) in TierLimits.Defaults.Zip(TierLimits.Defaults.Skip(1)))
        {
            Assert.True(larger.CallsPerDay > smaller.CallsPerDay, $"{larger.Tier} calls");
            Assert.True(larger.Vectors > smaller.Vectors, $"{larger.Tier} vectors");
            Assert.True(larger.StorageBytes > smaller.StorageBytes, $"{larger.Tier} storage");
            Assert.True(larger.EmbeddingsPerMonth > smaller.EmbeddingsPerMonth, $"{larger.Tier} embeddings");
        }
    }

    [Fact]
    public void ForGivesTheSameRecordAsTheList()
    {
        foreach (var tier in TierLimits.Defaults)
        {
            Assert.Same(tier, TierLimits.DefaultFor(tier.Tier));
        }
    }
}
