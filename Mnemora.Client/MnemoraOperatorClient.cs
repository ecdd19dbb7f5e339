using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Mnemora.Client;

/// <summary>
/// A client of the operator API (<c>/admin/v1</c>): creates tenants, sets their tiers, issues and
/// revokes their API keys, lists and purges their agents, reads their daily calls, exports them, and deletes them. Authenticated by the operator key, never a tenant key.
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

    /// <summary>
    /// Sets how many days a tenant's episodes are kept (<c>PATCH /admin/v1/tenants/{tenant_id}</c> with <c>retention_days</c>);
    /// null keeps them for ever. The change is recorded in the audit trail.
    /// </summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="retentionDays">Days to keep episodes; null: for ever.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tenant, with its retention.</returns>
    public Task<Tenant> SetRetentionAsync(string tenantId, int? retentionDays, CancellationToken cancellationToken = default)
    {
        var body = new RetentionRequest(retentionDays);
        return _http.SendAsync(HttpMethod.Patch, MnemoraClient.Path("admin/v1/tenants", tenantId), MnemoraHttp.Json(body, MnemoraJsonContext.Default.RetentionRequest), MnemoraJsonContext.Default.EnvelopeTenant, cancellationToken);
    }

    /// <summary>One page of a tenant's audit trail, newest first (<c>GET /admin/v1/tenants/{tenant_id}/audit</c>).</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="limit">Events in the page, 1–100; null: the server's default (50).</param>
    /// <param name="cursor">The <see cref="AuditPage.NextCursor"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public async Task<AuditPage> GetTenantAuditAsync(string tenantId, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = MnemoraClient.Query(("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", cursor));
        var page = await _http.SendAsync(HttpMethod.Get, MnemoraClient.Path("admin/v1/tenants", tenantId, "audit") + query, null, MnemoraJsonContext.Default.EnvelopeAuditList, cancellationToken);
        return new AuditPage(page.Events, page.NextCursor);
    }

    /// <summary>One page of the audit trail across tenants (operator sign-ins included), newest first (<c>GET /admin/v1/audit</c>).</summary>
    /// <param name="limit">Events in the page, 1–100; null: the server's default (50).</param>
    /// <param name="cursor">The <see cref="AuditPage.NextCursor"/> of the previous page; null for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public async Task<AuditPage> GetAuditAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = MnemoraClient.Query(("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", cursor));
        var page = await _http.SendAsync(HttpMethod.Get, "admin/v1/audit" + query, null, MnemoraJsonContext.Default.EnvelopeAuditList, cancellationToken);
        return new AuditPage(page.Events, page.NextCursor);
    }

    /// <summary>Records an operator's sign-in attempt at a console (<c>POST /admin/v1/audit/sign-ins</c>); the dashboard calls it on every attempt.</summary>
    /// <param name="succeeded">Whether the sign-in succeeded.</param>
    /// <param name="client">Where it came from (e.g. the client address), for the reviewer; never a password.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded event.</returns>
    public Task<AuditEvent> ReportSignInAsync(bool succeeded, string? client = null, CancellationToken cancellationToken = default)
    {
        var body = new SignInReport(succeeded ? "success" : "failure", client);
        return _http.SendAsync(HttpMethod.Post, "admin/v1/audit/sign-ins", MnemoraHttp.Json(body, MnemoraJsonContext.Default.SignInReport), MnemoraJsonContext.Default.EnvelopeAuditEvent, cancellationToken);
    }

    /// <summary>Lists every tier with the limits the server enforces (<c>GET /admin/v1/tiers</c>), smallest first.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tiers and their limits.</returns>
    public async Task<IReadOnlyList<TierLimits>> ListTiersAsync(CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, "admin/v1/tiers", null, MnemoraJsonContext.Default.EnvelopeTierList, cancellationToken)).Tiers;

    /// <summary>Lists a tenant's agents with their live records per memory type (<c>GET /admin/v1/tenants/{tenant_id}/agents</c>).</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agents, by id.</returns>
    public async Task<IReadOnlyList<AgentSummary>> ListAgentsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(HttpMethod.Get, MnemoraClient.Path("admin/v1/tenants", tenantId, "agents"), null, MnemoraJsonContext.Default.EnvelopeAgentList, cancellationToken)).Agents;

    /// <summary>
    /// Deletes everything of one agent of a tenant in every store (<c>DELETE /admin/v1/tenants/{tenant_id}/agents/{agent_id}</c>):
    /// the GDPR right to erasure, asked of the operator. A second purge reports zeros.
    /// </summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was deleted, per store.</returns>
    public Task<AgentDeletion> PurgeAgentAsync(string tenantId, string agentId, CancellationToken cancellationToken = default) =>
        _http.SendAsync(HttpMethod.Delete, MnemoraClient.Path("admin/v1/tenants", tenantId, "agents", agentId), null, MnemoraJsonContext.Default.EnvelopeAgentDeletion, cancellationToken);

    /// <summary>A tenant's API calls per UTC day, oldest first, today last (<c>GET /admin/v1/tenants/{tenant_id}/usage/daily</c>).</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="days">How many days back, today included, 1–366; null: the server's default (30).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One entry per day.</returns>
    public async Task<IReadOnlyList<DailyCalls>> GetDailyUsageAsync(string tenantId, int? days = null, CancellationToken cancellationToken = default) =>
        (await _http.SendAsync(
            HttpMethod.Get,
            MnemoraClient.Path("admin/v1/tenants", tenantId, "usage", "daily") + MnemoraClient.Query(("days", days?.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            null,
            MnemoraJsonContext.Default.EnvelopeDailyUsage,
            cancellationToken)).Days;

    /// <summary>
    /// Opens the export of a whole tenant (<c>GET /admin/v1/tenants/{tenant_id}/export</c>): every agent's records as
    /// NDJSON, streamed. A tenant's client can import it with <see cref="MnemoraClient.ImportAsync"/>.
    /// </summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="includeEmbeddings">False leaves the vectors out (a third of the size; the import embeds again).</param>
    /// <param name="cancellationToken">Cancels opening the export; reads take their own token.</param>
    /// <returns>The NDJSON body; disposing it ends the transfer.</returns>
    public Task<Stream> ExportTenantAsync(string tenantId, bool includeEmbeddings = true, CancellationToken cancellationToken = default) =>
        _http.OpenStreamAsync(MnemoraClient.Path("admin/v1/tenants", tenantId, "export") + MnemoraClient.Embeddings(includeEmbeddings), Ndjson.MediaType, cancellationToken);

    /// <summary>The export of a whole tenant (<c>GET /admin/v1/tenants/{tenant_id}/export</c>) line by line as it streams: header, records, end line.</summary>
    /// <param name="tenantId">The tenant's id.</param>
    /// <param name="includeEmbeddings">False leaves the vectors out.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The lines of the export, in order.</returns>
    public async IAsyncEnumerable<JsonObject> ReadTenantExportAsync(string tenantId, bool includeEmbeddings = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var export = await ExportTenantAsync(tenantId, includeEmbeddings, cancellationToken);
        await foreach (var line in Ndjson.ReadAsync(export, cancellationToken))
        {
            yield return line;
        }
    }
}
