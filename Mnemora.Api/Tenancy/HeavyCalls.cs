using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Mnemora.Storage;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// This replica's share of calls whose work grows with a tenant's data (pages of up to 1,000 episodes, session replays,
/// summaries, agent and tenant exports), bound from <c>Mnemora:HeavyCalls</c>. The burst limit counts calls, not their
/// cost: without this, one tenant's parallel pages keep every core and the emulated DynamoDB busy, and another tenant's
/// one-item read waits behind them.
/// </summary>
public sealed class HeavyCallOptions
{
    public const string SectionName = "Mnemora:HeavyCalls";

    /// <summary>One tenant's heavy calls at once on a replica: half its cores (at least one).</summary>
    [Range(1, 10_000)]
    public int PerTenant { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How long a heavy call waits for one of its own tenant's heavy calls to end before it is a 429.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Wait { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Marks an endpoint as a heavy call (<see cref="HeavyCallOptions"/>).</summary>
internal sealed class HeavyCallMetadata
{
    public static readonly HeavyCallMetadata Instance = new();
}

/// <summary>
/// The replica's heavy-call places, one share for the routes (<see cref="HeavyCallMiddleware"/>) and the MCP tools
/// that do the same work. A call that waited past <see cref="HeavyCallOptions.Wait"/> is a
/// <see cref="TenantBusyException"/> (429 with Retry-After).
/// </summary>
internal sealed class HeavyCallShare(IOptions<HeavyCallOptions> options)
{
    private readonly TenantShare _share = new("this replica's share of heavy calls (episode lists, replays, summaries, exports)", options.Value.PerTenant, options.Value.Wait);

    /// <summary>Takes one of the tenant's places; dispose the result to give it back.</summary>
    public ValueTask<TenantShare.Place> EnterAsync(string tenantId, CancellationToken cancellationToken) => _share.EnterAsync(tenantId, cancellationToken);
}

/// <summary>
/// Holds one of the tenant's heavy-call places while a marked endpoint runs, response written included (an export
/// streams). The tenant's other calls, and every other tenant's, do not wait for it. A call refused for its own heavy
/// calls is not counted against the daily quota. An operator route on one tenant's data (the tenant export, whose
/// route names it as <c>tenant_id</c>) takes that tenant's place: it is that tenant's data the replica reads.
/// </summary>
internal sealed class HeavyCallMiddleware(RequestDelegate next, HeavyCallShare share)
{
    public async Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<HeavyCallMetadata>() is null || ShareOf(context, tenant) is not { } tenantId)
        {
            await next(context);
            return;
        }

        using var place = await share.EnterAsync(tenantId, context.RequestAborted);
        await next(context);
    }

    /// <summary>Whose place the call takes: the key's tenant, or the tenant an operator route reads (authorised by now).</summary>
    private static string? ShareOf(HttpContext context, TenantContext tenant) =>
        tenant.IsAuthenticated ? tenant.TenantId : context.GetRouteValue("tenant_id") as string;
}

internal static class HeavyCalls
{
    public static IHostApplicationBuilder AddHeavyCalls(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HeavyCallOptions>()
            .BindConfiguration(HeavyCallOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<HeavyCallShare>();
        return builder;
    }

    /// <summary>The route's work grows with the tenant's data: it takes one of the tenant's heavy-call places.</summary>
    public static TBuilder AsHeavyCall<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(HeavyCallMetadata.Instance);
}
