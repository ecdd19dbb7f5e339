using Mnemora.Client;

namespace Mnemora.Dashboard.Operator;

/// <summary>What the pages read off the SDK's records.</summary>
public static class OperatorViews
{
    extension(TenantSummary tenant)
    {
        public bool IsDeleted => tenant.DeletedAt is not null;
    }

    extension(TenantDetails tenant)
    {
        public bool IsDeleted => tenant.DeletedAt is not null;
    }

    extension(ApiKeyInfo key)
    {
        public bool IsRevoked => key.RevokedAt is not null;
    }

    extension(PurgeCounts counts)
    {
        public long Total => counts.State + counts.Semantic + counts.Episodic + counts.S3Objects;
    }

    extension(TenantTier tier)
    {
        /// <summary>The tier's name on the wire (<c>free</c>, <c>starter</c>, …).</summary>
        public string Name => tier switch
        {
            TenantTier.Free => "free",
            TenantTier.Starter => "starter",
            TenantTier.Pro => "pro",
            TenantTier.Scale => "scale",
            _ => tier.ToString(),
        };
    }
}
