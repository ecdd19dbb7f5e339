namespace Mnemora.Api.Tenancy;

/// <summary>
/// The authenticated tenant of the current request: a scoped service that only authentication
/// fills. Handlers take it as a parameter and pass <see cref="TenantId"/> as the first key of
/// every store call. Nothing in a request body, query or header can set it.
/// </summary>
public sealed class TenantContext
{
    private string? _tenantId;

    /// <summary>The tenant the API key belongs to. Reading it before authentication is a bug, and throws.</summary>
    public string TenantId => _tenantId ?? throw new InvalidOperationException("The request is not authenticated as a tenant.");

    public TenantTier Tier { get; private set; } = TenantTier.Free;

    public bool IsAuthenticated => _tenantId is not null;

    internal void Set(string tenantId, TenantTier tier)
    {
        if (_tenantId is not null)
        {
            throw new InvalidOperationException("The tenant of a request is set once.");
        }

        _tenantId = tenantId;
        Tier = tier;
    }
}
