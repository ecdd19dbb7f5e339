using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Audit;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Audit;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Apis;

/// <summary>The operator API: tenants and their keys, under <c>/admin/v1</c>, for the operator key only.</summary>
public static class AdminApi
{
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
        admin.MapGet("/tenants/{tenant_id}/audit", ListTenantAudit).WithName("ListTenantAudit").WithSummary("The tenant's audit trail, newest first ('limit' 1-100, default 50; 'cursor' continues).");
        admin.MapGet("/audit", ListAudit).WithName("ListAudit").WithSummary("The audit trail across tenants (and operator sign-ins), newest first.");
        admin.MapPost("/audit/sign-ins", ReportSignIn).WithName("ReportOperatorSignIn").WithSummary("Records an operator's sign-in attempt at the dashboard (success or failure).");
        return app;
    }

    public static async Task<Results<ApiCreated<TenantResponse>, ApiProblem>> CreateTenant(
        CreateTenantRequest? request,
        TenantStore store,
        AuditTrail audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        // The declared rules refused a missing body (tenant_id is required). An id may be longer than a
        // name: one that stands in for the name is held to the name's rules.
        var name = request!.Name ?? request.TenantId!;
        if (request.Name is null && Validate.Text(name, "name", RequestLimits.MaxNameLength) is { } nameProblem)
        {
            return nameProblem;
        }

        var tierName = request.Tier ?? TenantTiers.Name(TenantTier.Free);
        if (!TenantTiers.TryParse(tierName, out _))
        {
            return InvalidTier();
        }

        var tenant = new TenantRecord(request.TenantId!, name, tierName, time.GetUtcNow().UtcDateTime, DeletedAt: null);
        var created = await store.CreateTenantAsync(tenant, cancellationToken);
        await audit.RecordAsync(tenant.TenantId, AuditActions.TenantCreated, created ? AuditTrail.Succeeded : AuditTrail.Failed,
            new Dictionary<string, string> { ["tier"] = tierName }, cancellationToken);
        return created
            ? ApiResults.Created(TenantResponse.From(tenant))
            : ApiProblem.Conflict($"The tenant '{tenant.TenantId}' exists already.");
    }

    public static async Task<ApiOk<TenantListResponse>> ListTenants(TenantStore store, CallCounters calls, CallLeases leases, TierCatalog tiers, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var tenants = await store.ListTenantsAsync(cancellationToken);
        var callsToday = await calls.GetCallsTodayAsync(tenants.Select(t => t.TenantId), now, cancellationToken);
        return ApiResults.Ok(new TenantListResponse([.. tenants.Select(t => new TenantSummary(
            t.TenantId,
            t.Name,
            t.Tier,
            t.CreatedAt,
            t.DeletedAt,
            callsToday.GetValueOrDefault(t.TenantId) - leases.Unused(t.TenantId, now),
            tiers.For(TenantTiers.Parse(t.Tier)).CallsPerDay))]));
    }

    public static async Task<Results<ApiOk<TenantDetails>, ApiProblem>> GetTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore store,
        TierCatalog tiers,
        UsageReader usage,
        CancellationToken cancellationToken)
    {
        if (await store.GetTenantAsync(tenantId, cancellationToken) is not { } tenant)
        {
            return TenantNotFound(tenantId);
        }

        var used = await usage.ReadAsync(tenant.TenantId, TenantTiers.Parse(tenant.Tier), cancellationToken);
        return ApiResults.Ok(new TenantDetails(tenant.TenantId, tenant.Name, tenant.Tier, tenant.CreatedAt, tenant.DeletedAt, UsageResponse.From(used, tiers.For(used.Tier))));
    }

    public static async Task<Results<ApiOk<TenantResponse>, ApiProblem>> UpdateTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        UpdateTenantRequest? request,
        TenantStore store,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (request is null || (request.Name is null && request.Tier is null && !request.HasRetention))
        {
            return ApiProblem.Validation("Send 'tier', 'name' and/or 'retention_days'.");
        }

        int? retentionDays = null;
        if (request.HasRetention && request.RetentionDays.ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (request.RetentionDays.ValueKind != System.Text.Json.JsonValueKind.Number || !request.RetentionDays.TryGetInt32(out var days)
                || days is < 1 or > UpdateTenantRequest.MaxRetentionDays)
            {
                return ApiProblem.Validation($"'retention_days' must be null or between 1 and {UpdateTenantRequest.MaxRetentionDays}.");
            }

            retentionDays = days;
        }

        if (request.Tier is not null && !TenantTiers.TryParse(request.Tier, out _))
        {
            return InvalidTier();
        }

        var before = request.Tier is null ? null : await store.GetTenantAsync(tenantId, cancellationToken);
        if (await store.UpdateTenantAsync(tenantId, request.Name, request.Tier, cancellationToken) is not { } updated)
        {
            return TenantNotFound(tenantId);
        }

        if (request.HasRetention)
        {
            var previous = updated.RetentionDays;
            updated = await store.SetRetentionAsync(tenantId, retentionDays, cancellationToken) ?? updated;
            await audit.RecordAsync(tenantId, AuditActions.RetentionChanged, AuditTrail.Succeeded,
                new Dictionary<string, string> { ["from"] = previous?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "keep", ["to"] = retentionDays?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "keep" }, cancellationToken);
        }

        if (request.Tier is not null && before?.Tier != updated.Tier)
        {
            await audit.RecordAsync(tenantId, AuditActions.TierChanged, AuditTrail.Succeeded,
                new Dictionary<string, string> { ["from"] = before?.Tier ?? "", ["to"] = updated.Tier }, cancellationToken);
        }

        return ApiResults.Ok(TenantResponse.From(updated));
    }

    /// <summary>Revokes the tenant's keys and erases its memories; deleting again retries a failed erasure.</summary>
    public static async Task<Results<ApiOk<TenantDeletedResponse>, ApiProblem>> DeleteTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantLifecycle lifecycle,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (await lifecycle.DeleteAsync(tenantId, cancellationToken) is not { } deletion)
        {
            return TenantNotFound(tenantId);
        }

        await audit.RecordAsync(tenantId, AuditActions.TenantDeleted, AuditTrail.Succeeded,
            new Dictionary<string, string> { ["keys_revoked"] = deletion.KeysRevoked.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken);
        return ApiResults.Ok(new TenantDeletedResponse(deletion.TenantId, deletion.KeysRevoked, deletion.Deleted));
    }

    public static async Task<Results<ApiCreated<IssuedKeyResponse>, ApiProblem>> IssueKey(
        [FromRoute(Name = "tenant_id")] string tenantId,
        IssueKeyRequest? request,
        TenantStore store,
        ApiKeyStore keys,
        AuditTrail audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var name = request?.Name;
        if (await store.GetTenantAsync(tenantId, cancellationToken) is not { IsDeleted: false })
        {
            return TenantNotFound(tenantId);
        }

        var (plaintext, hash, prefix) = ApiKeys.Generate();
        var key = new ApiKeyRecord(ApiKeys.NewKeyId(), tenantId, hash, prefix, name, time.GetUtcNow().UtcDateTime, LastUsedAt: null, RevokedAt: null);
        await keys.AddKeyAsync(key, cancellationToken);
        await audit.RecordAsync(tenantId, AuditActions.KeyIssued, AuditTrail.Succeeded,
            new Dictionary<string, string> { ["key_id"] = key.KeyId, ["prefix"] = key.Prefix }, cancellationToken);
        return ApiResults.Created(new IssuedKeyResponse(key.KeyId, plaintext, key.Prefix, key.Name, key.CreatedAt));
    }

    public static async Task<Results<ApiOk<KeyListResponse>, ApiProblem>> ListKeys(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore store,
        ApiKeyStore keyStore,
        CancellationToken cancellationToken)
    {
        if (await store.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var keys = await keyStore.ListKeysAsync(tenantId, cancellationToken);
        return ApiResults.Ok(new KeyListResponse([.. keys.Select(k => new KeyResponse(k.KeyId, k.Prefix, k.Name, k.CreatedAt, k.LastUsedAt, k.RevokedAt))]));
    }

    public static async Task<Results<NoContent, ApiProblem>> RevokeKey(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromRoute(Name = "key_id")] string keyId,
        ApiKeyStore store,
        AuditTrail audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!await store.RevokeKeyAsync(tenantId, keyId, time.GetUtcNow().UtcDateTime, cancellationToken))
        {
            return ApiProblem.NotFound($"The tenant '{tenantId}' has no key '{keyId}'.");
        }

        await audit.RecordAsync(tenantId, AuditActions.KeyRevoked, AuditTrail.Succeeded, new Dictionary<string, string> { ["key_id"] = keyId }, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<ApiOk<AuditListResponse>, ApiProblem>> ListTenantAudit(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        TenantStore store,
        AuditLog log,
        CancellationToken cancellationToken)
    {
        // A deleted tenant's trail stays readable: it is what a reviewer asks for afterwards.
        if (await store.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        return await ReadAuditAsync(log, tenantId, limit, cursor, cancellationToken);
    }

    public static Task<Results<ApiOk<AuditListResponse>, ApiProblem>> ListAudit(
        [FromQuery] string? limit, [FromQuery] string? cursor, AuditLog log, CancellationToken cancellationToken) =>
        ReadAuditAsync(log, tenantId: null, limit, cursor, cancellationToken);

    public static async Task<Results<ApiOk<AuditEventResponse>, ApiProblem>> ReportSignIn(
        SignInReport? request, AuditLog log, HttpContext context, CancellationToken cancellationToken)
    {
        if (request?.Outcome is not (AuditTrail.Succeeded or AuditTrail.Failed))
        {
            return ApiProblem.Validation("'outcome' must be success or failure.");
        }

        var details = request.Client is null ? null : new Dictionary<string, string> { ["client"] = request.Client };
        var recorded = await log.AppendAsync(null, AuditActions.OperatorSignIn, AuditTrail.OperatorActor, context.TraceIdentifier, request.Outcome, details, cancellationToken);
        return ApiResults.Ok(AuditEventResponse.From(recorded));
    }

    private static async Task<Results<ApiOk<AuditListResponse>, ApiProblem>> ReadAuditAsync(
        AuditLog log, string? tenantId, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        var pageSize = 50;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
            || pageSize is < 1 or > AuditLog.MaxPage))
        {
            return ApiProblem.Validation($"'limit' must be between 1 and {AuditLog.MaxPage}.");
        }

        try
        {
            return ApiResults.Ok(AuditListResponse.From(await log.ReadAsync(tenantId, pageSize, cursor, cancellationToken)));
        }
        catch (InvalidAuditCursorException)
        {
            return ApiProblem.Validation("'cursor' is not a cursor this API returned.");
        }
    }

    private static ApiProblem TenantNotFound(string tenantId) => ApiProblem.NotFound($"No tenant '{tenantId}'.");

    private static ApiProblem InvalidTier() => ApiProblem.Validation("'tier' must be one of free, starter, pro, scale.");
}
