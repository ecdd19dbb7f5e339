namespace Mnemora.Client;

/// <summary>
/// A client of the operator API (<c>/admin/v1</c>): creates tenants, sets their tiers, issues and
/// revokes their API keys, and deletes them. Authenticated by the operator key, never a tenant key.
/// Thread-safe. Errors surface as <see cref="MnemoraException"/> subclasses.
/// </summary>
public sealed class MnemoraOperatorClient
{
    private readonly MnemoraHttp _http;

    /// <summary>
    /// Creates an operator client over an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/>
    /// is the server's root URL. Prefer <c>AddMnemoraOperatorClient</c>, whose HTTP client retries and times out.
    /// </summary>
    /// <param name="httpClient">The HTTP client; its base address is the server's root URL.</param>
    /// <param name="operatorKey">The operator key.</param>
    public MnemoraOperatorClient(HttpClient httpClient, string operatorKey) => _http = new MnemoraHttp(httpClient, operatorKey);

    /// <summary>Creates a tenant (<c>POST /admin/v1/tenants</c>); <see cref="ConflictException"/> when the id is taken.</summary>
    /// <param name="tenantId">The tenant's id (1–256 letters, digits and <c>- _ . : @</c>).</param>
    /// <param name="name">Its display name; the id when null.</param>
    /// <param name="tier">Its tier; <see cref="TenantTier.Free"/> when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new tenant.</returns>
    public Task<Tenant> CreateTenantAsync(string tenantId, string? name = null, TenantTier? tier = null, CancellationToken cancellationToken = default)
    {
        var body = new CreateTenantRequest(tenantId, name, tier);
        return _http.SendAsync(HttpMethod.Post, "admin/v1/tenants", MnemoraHttp.Json(body, MnemoraJsonContext.Default.CreateTenantRequest), MnemoraJsonContext.Default.EnvelopeTenant, cancellationToken);
    }

    /// <summary>Lists every tenant with its tier and today's calls (<c>GET /admin/v1/tenants</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tenants.</returns>
    public async Task<IReadOnlyList<TenantSummary>> ListTenantsAsync(CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, "admin/v1/tenants", null, MnemoraJsonContext.Default.EnvelopeTenantList, cancellationToken)).Tenants;

    /// <summary>Reads a tenant with its usage (<c>GET /admin/v1/tenants/{tenant_id}</c>); <see cref="NotFoundException"/> when there is none.</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tenant and its usage.</returns>
    public Task<TenantDetails> GetTenantAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Get, MnemoraClient.Path("admin/v1/tenants", tenantId), null, MnemoraJsonContext.Default.EnvelopeTenantDetails, cancellationToken);

    /// <summary>Changes a tenant's name and/or tier (<c>PATCH /admin/v1/tenants/{tenant_id}</c>); give at least one.</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="name">The new display name; null keeps it.</param>
    /// <param name="tier">The new tier; null keeps it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The updated tenant.</returns>
    public Task<Tenant> UpdateTenantAsync(string tenantId, string? name = null, TenantTier? tier = null, CancellationToken cancellationToken = default)
    {
        var body = new UpdateTenantRequest(name, tier);
        return _http.SendAsync(HttpMethod.Patch, MnemoraClient.Path("admin/v1/tenants", tenantId), MnemoraHttp.Json(body, MnemoraJsonContext.Default.UpdateTenantRequest), MnemoraJsonContext.Default.EnvelopeTenant, cancellationToken);
    }

    /// <summary>
    /// Deletes a tenant (<c>DELETE /admin/v1/tenants/{tenant_id}</c>): revokes every key, then purges every
    /// agent's memories in every store. Deleting again re-runs the purge.
    /// </summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Keys revoked and records purged.</returns>
    public Task<TenantDeletion> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, MnemoraClient.Path("admin/v1/tenants", tenantId), null, MnemoraJsonContext.Default.EnvelopeTenantDeletion, cancellationToken);

    /// <summary>Issues an API key for a tenant (<c>POST /admin/v1/tenants/{tenant_id}/keys</c>); the plaintext is in this answer only.</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="name">A name to recognise the key by.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key, with its plaintext.</returns>
    public Task<IssuedApiKey> IssueKeyAsync(string tenantId, string? name = null, CancellationToken cancellationToken = default)
    {
        var body = new IssueKeyRequest(name);
        return _http.SendAsync(HttpMethod.Post, MnemoraClient.Path("admin/v1/tenants", tenantId, "keys"), MnemoraHttp.Json(body, MnemoraJsonContext.Default.IssueKeyRequest), MnemoraJsonContext.Default.EnvelopeIssuedApiKey, cancellationToken);
    }

    /// <summary>Lists a tenant's keys, revoked ones included, by prefix only (<c>GET /admin/v1/tenants/{tenant_id}/keys</c>).</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The keys.</returns>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, MnemoraClient.Path("admin/v1/tenants", tenantId, "keys"), null, MnemoraJsonContext.Default.EnvelopeKeyList, cancellationToken)).Keys;

    /// <summary>Revokes a key (<c>DELETE /admin/v1/tenants/{tenant_id}/keys/{key_id}</c>); it stops working within 5 seconds.</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="keyId">The key's id (<see cref="IssuedApiKey.KeyId"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the key is revoked.</returns>
    public Task RevokeKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, MnemoraClient.Path("admin/v1/tenants", tenantId, "keys", keyId), cancellationToken);
}
