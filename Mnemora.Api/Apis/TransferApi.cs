using Mnemora.Api.Audit;
using Mnemora.Storage.Audit;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Api.Transfer;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Apis;

/// <summary>Export and import of whole agents (format: docs/export-format.md).</summary>
internal static class TransferApi
{
    public static RouteGroupBuilder MapTransferApi(this RouteGroupBuilder tenantApi)
    {
        var memory = tenantApi.MapGroup("/memory").WithTags("Export and import");
        memory.MapGet("/{agent_id}/export", ExportAgent)
            .AsHeavyCall()
            .WithName("ExportAgent")
            .WithSummary("Streams every record of the agent (state, episodes hot and cold, semantic memories) as NDJSON; 'embeddings=false' leaves vectors out.");
        memory.MapPost("/import", ImportMemories)
            .WithStreamedBody()
            .WithName("ImportMemories")
            .WithSummary("Imports an export into the caller's tenant: validated whole before anything is written; a bad line is a 400 that names it.");
        return tenantApi;
    }

    public static IEndpointRouteBuilder MapOperatorExportApi(this IEndpointRouteBuilder app)
    {
        app.MapOperatorApi().MapGet("/tenants/{tenant_id}/export", ExportTenant)
            .AsHeavyCall()
            .WithName("ExportTenant")
            .WithSummary("Streams every record of every agent of the tenant as NDJSON.");
        return app;
    }

    public static async Task<Results<ExportResult, ApiProblem>> ExportAgent(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromQuery] string? embeddings,
        TenantContext tenant,
        MemoryExporter exporter,
        AuditTrail audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (ParseEmbeddings(embeddings, out var withEmbeddings) is { } problem)
        {
            return problem;
        }

        // The first record is read here: an agent with nothing (or another tenant's) is a 404, not an empty file.
        var records = exporter.ReadAgentAsync(tenant.TenantId, agentId, withEmbeddings, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var handedOver = false;
        try
        {
            if (!await records.MoveNextAsync())
            {
                return ApiProblem.NotFound("This agent has no memories.");
            }

            var now = time.GetUtcNow();
            await audit.RecordAsync(tenant.TenantId, AuditActions.Exported, AuditTrail.Succeeded, new Dictionary<string, string> { ["agent_id"] = agentId }, cancellationToken);
            handedOver = true;
            return new ExportResult(new ExportHeader("agent", TenantId: null, agentId, now, withEmbeddings), records, started: true, FileName(agentId, now));
        }
        finally
        {
            if (!handedOver)
            {
                await records.DisposeAsync();
            }
        }
    }

    public static async Task<Results<ExportResult, ApiProblem>> ExportTenant(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromQuery] string? embeddings,
        TenantStore tenants,
        MemoryExporter exporter,
        AuditTrail audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (ParseEmbeddings(embeddings, out var withEmbeddings) is { } problem)
        {
            return problem;
        }

        if (await tenants.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return ApiProblem.NotFound($"No tenant '{tenantId}'.");
        }

        var now = time.GetUtcNow();
        await audit.RecordAsync(tenantId, AuditActions.Exported, AuditTrail.Succeeded, new Dictionary<string, string> { ["scope"] = "tenant" }, cancellationToken);
        var records = exporter.ReadTenantAsync(tenantId, withEmbeddings, cancellationToken).GetAsyncEnumerator(cancellationToken);
        return new ExportResult(new ExportHeader("tenant", tenantId, AgentId: null, now, withEmbeddings), records, started: false, FileName(tenantId, now));
    }

    public static async Task<Results<ApiOk<ImportResponse>, ApiProblem>> ImportMemories(
        HttpContext context,
        TenantContext tenant,
        MemoryImporter importer,
        IOptions<TransferOptions> options,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxImportBytes;
        if (context.Request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        var imported = await importer.ImportAsync(tenant, context.Request.Body, cancellationToken);
        await audit.RecordAsync(tenant.TenantId, AuditActions.Imported, AuditTrail.Succeeded, null, cancellationToken);
        return ApiResults.Ok(imported);
    }

    private static ApiProblem? ParseEmbeddings(string? value, out bool embeddings)
    {
        embeddings = value is null || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
        return value is null || embeddings || string.Equals(value, "false", StringComparison.OrdinalIgnoreCase)
            ? null
            : ApiProblem.Validation("'embeddings' must be true or false.");
    }

    private static ApiProblem TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, string.Create(CultureInfo.InvariantCulture, $"An import is limited to {limit} bytes."));

    /// <summary>A file name safe in a header: an id's letters, digits, <c>-</c> and <c>.</c> (ids may hold any printable text), the rest as <c>_</c>.</summary>
    private static string FileName(string id, DateTimeOffset at) =>
        $"mnemora-{string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'))}-{at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.ndjson";
}
