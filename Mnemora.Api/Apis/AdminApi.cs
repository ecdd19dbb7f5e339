using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Apis;

/// <summary>The operator API: tenants and their keys, under <c>/admin/v1</c>, for the operator key only.</summary>
public static class AdminApi
{
    private const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapOperatorApi();
        admin.MapPost("/tenants", CreateTenant).WithName("CreateTenant").WithSummary("Creates a tenant; 409 when the id is taken.");
        admin.MapGet("/tenants", ListTenants).WithName("ListTenants").WithSummary("Every tenant with its tier and today's calls.");
        admin.MapGet("/tenants/{tenant_id}", GetTenant).WithName("GetTenant").WithSummary("A tenant with its usage.");
        admin.MapPatch("/tenants/{tenant_id}", UpdateTenant).WithName("UpdateTenant").WithSummary("Changes a tenant's tier and/or name.");
        admin.MapDelete("/tenants/{tenant_id}", DeleteTenant).WithName("DeleteTenant").WithSummary("Revokes every key of the tenant and purges its memories.");
        admin.MapPost("/tenants/{tenant_id}/keys", IssueKey).WithName("IssueKey").WithSummary("Issues an API key; its plaintext is in this response only.");
        admin.MapGet("/tenants/{tenant_id}/keys", ListKeys).WithName("ListKeys").WithSummary("The tenant's keys (prefixes only), revoked ones included.");
        admin.MapDelete("/tenants/{tenant_id}/keys/{key_id}", RevokeKey).WithName("RevokeKey").WithSummary("Revokes a key; it stops working within 5 seconds.");
        return app;
    }

    public static async Task<Results<ApiCreated<TenantResponse>, ApiProblem>> CreateTenant(
        CreateTenantRequest? request,
        TenantStore store,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (Validate.Id(request?.TenantId, "tenant_id") is { } idProblem)
        {
            return idProblem;
        }

        var name = request!.Name ?? request.TenantId!;
        if (Validate.Text(name, "name", MaxNameLength) is { } nameProblem)
        {
            return nameProblem;
        }

        var tierName = request.Tier ?? TenantTiers.Name(TenantTier.Free);
        if (!TenantTiers.TryParse(tierName, out _))
        {
            return InvalidTier();
        }

        var tenant = new TenantRecord(request.TenantId!, name, tierName, time.GetUtcNow().UtcDateTime, DeletedAt: null);
        return await store.CreateTenantAsync(tenant, cancellationToken)
            ? ApiResults.Created(TenantResponse.From(tenant))
            : ApiProblem.Conflict($"The tenant '{tenant.TenantId}' exists already.");
    }

    public static async Task<ApiOk<TenantListResponse>> ListTenants(TenantStore store, CallLeases leases, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var tenants = await store.ListTenantsAsync(cancellationToken);
        var callsToday = await store.GetCallsTodayAsync(tenants.Select(t => t.TenantId), now, cancellationToken);
        return ApiResults.Ok(new TenantListResponse([.. tenants.Select(t => new TenantSummary(
            t.TenantId,
            t.Name,
            t.Tier,
            t.CreatedAt,
            t.DeletedAt,
            callsToday.GetValueOrDefault(t.TenantId) - leases.Unused(t.TenantId, now),
            TierLimits.For(TenantTiers.Parse(t.Tier)).CallsPerDay))]));
    }

    public static async Task<Results<ApiOk<TenantDetails>, ApiProblem>> GetTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore store,
        CallLeases leases,
        IUsageMeter meter,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await store.GetTenantAsync(tenantId, cancellationToken) is not { } tenant)
        {
            return TenantNotFound(tenantId);
        }

        var usage = await UsageApi.ReadUsageAsync(tenant.TenantId, TenantTiers.Parse(tenant.Tier), store, leases, meter, time, cancellationToken);
        return ApiResults.Ok(new TenantDetails(tenant.TenantId, tenant.Name, tenant.Tier, tenant.CreatedAt, tenant.DeletedAt, usage));
    }

    public static async Task<Results<ApiOk<TenantResponse>, ApiProblem>> UpdateTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        UpdateTenantRequest? request,
        TenantStore store,
        CancellationToken cancellationToken)
    {
        if (request is null || (request.Name is null && request.Tier is null))
        {
            return ApiProblem.Validation("Send 'tier' and/or 'name'.");
        }

        if (request.Name is not null && Validate.Text(request.Name, "name", MaxNameLength) is { } nameProblem)
        {
            return nameProblem;
        }

        if (request.Tier is not null && !TenantTiers.TryParse(request.Tier, out _))
        {
            return InvalidTier();
        }

        return await store.UpdateTenantAsync(tenantId, request.Name, request.Tier, cancellationToken) is { } updated
            ? ApiResults.Ok(TenantResponse.From(updated))
            : TenantNotFound(tenantId);
    }

    /// <summary>
    /// Marks the tenant deleted and revokes its keys first, so nothing new arrives, then runs every
    /// store's purger. Deleting again re-runs the purge (idempotent), which is how a failed one is retried.
    /// </summary>
    public static async Task<Results<ApiOk<TenantDeletedResponse>, ApiProblem>> DeleteTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore store,
        IEnumerable<ITenantPurger> purgers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (await store.MarkDeletedAsync(tenantId, now, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var revoked = await store.RevokeAllKeysAsync(tenantId, now, cancellationToken);
        var deleted = new TenantPurgeCounts();
        foreach (var purger in purgers)
        {
            deleted += await purger.PurgeAsync(tenantId, cancellationToken);
        }

        return ApiResults.Ok(new TenantDeletedResponse(tenantId, revoked, deleted));
    }

    public static async Task<Results<ApiCreated<IssuedKeyResponse>, ApiProblem>> IssueKey(
        [FromRoute(Name = "tenant_id")] string tenantId,
        IssueKeyRequest? request,
        TenantStore store,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var name = request?.Name;
        if (name is not null && Validate.Text(name, "name", MaxNameLength) is { } nameProblem)
        {
            return nameProblem;
        }

        if (await store.GetTenantAsync(tenantId, cancellationToken) is not { IsDeleted: false })
        {
            return TenantNotFound(tenantId);
        }

        var (plaintext, hash, prefix) = ApiKeys.Generate();
        var key = new ApiKeyRecord(ApiKeys.NewKeyId(), tenantId, hash, prefix, name, time.GetUtcNow().UtcDateTime, LastUsedAt: null, RevokedAt: null);
        await store.AddKeyAsync(key, cancellationToken);
        return ApiResults.Created(new IssuedKeyResponse(key.KeyId, plaintext, key.Prefix, key.Name, key.CreatedAt));
    }

    public static async Task<Results<ApiOk<KeyListResponse>, ApiProblem>> ListKeys(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore store,
        CancellationToken cancellationToken)
    {
        if (await store.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var keys = await store.ListKeysAsync(tenantId, cancellationToken);
        return ApiResults.Ok(new KeyListResponse([.. keys.Select(k => new KeyResponse(k.KeyId, k.Prefix, k.Name, k.CreatedAt, k.LastUsedAt, k.RevokedAt))]));
    }

    public static async Task<Results<NoContent, ApiProblem>> RevokeKey(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromRoute(Name = "key_id")] string keyId,
        TenantStore store,
        TimeProvider time,
        CancellationToken cancellationToken) =>
        await store.RevokeKeyAsync(tenantId, keyId, time.GetUtcNow().UtcDateTime, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound($"The tenant '{tenantId}' has no key '{keyId}'.");

    private static ApiProblem TenantNotFound(string tenantId) => ApiProblem.NotFound($"No tenant '{tenantId}'.");

    private static ApiProblem InvalidTier() => ApiProblem.Validation("'tier' must be one of free, starter, pro, scale.");
}

public sealed record CreateTenantRequest(string? TenantId, string? Name, string? Tier);

public sealed record UpdateTenantRequest(string? Name, string? Tier);

public sealed record IssueKeyRequest(string? Name);

public sealed record TenantResponse(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt)
{
    internal static TenantResponse From(TenantRecord tenant) => new(tenant.TenantId, tenant.Name, tenant.Tier, tenant.CreatedAt, tenant.DeletedAt);
}

public sealed record TenantSummary(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, long ApiCallsToday, long DailyLimit);

public sealed record TenantListResponse(IReadOnlyList<TenantSummary> Tenants);

public sealed record TenantDetails(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, UsageResponse Usage);

public sealed record TenantDeletedResponse(string TenantId, int KeysRevoked, TenantPurgeCounts Deleted);

public sealed record IssuedKeyResponse(string KeyId, string ApiKey, string Prefix, string? Name, DateTime CreatedAt);

public sealed record KeyResponse(string KeyId, string Prefix, string? Name, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);

public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Keys);
