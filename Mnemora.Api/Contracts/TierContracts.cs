using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Contracts;

/// <summary><c>GET /admin/v1/tiers</c>: every tier, smallest first.</summary>
public sealed record TierListResponse(IReadOnlyList<TierResponse> Tiers);

/// <summary>One tier's limits; storage in bytes (the contract's MB and GB are decimal).</summary>
public sealed record TierResponse(string Tier, long DailyCalls, long Vectors, long StorageBytes, long EmbeddingsPerMonth)
{
    public static TierResponse From(TierLimits limits) =>
        new(TenantTiers.Name(limits.Tier), limits.CallsPerDay, limits.Vectors, limits.StorageBytes, limits.EmbeddingsPerMonth);
}

/// <summary><c>GET /v1/usage/vectors</c>: the tenant's stored semantic memories.</summary>
public sealed record VectorCountResponse(long VectorCount);
