using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Usage;
using Microsoft.Extensions.Options;

namespace Mnemora.Api.Semantic;

/// <summary>How often the API removes expired semantic memories, and how many per statement.</summary>
public sealed class SemanticExpiryOptions
{
    public const string SectionName = "Mnemora:SemanticExpiry";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Removes semantic memories past <c>expires_at</c>. Reads hide them at once; this only reclaims the rows and
/// corrects the usage counters. It lives in the API because the tiering worker has no PostgreSQL connection, and it
/// crosses tenants only through <c>semantic_sweep_expired</c>, which deletes expired rows and nothing else.
/// </summary>
public sealed partial class SemanticExpirySweep(
    SemanticMemoryRepository repository, IUsageMeter usage, IOptions<SemanticExpiryOptions> options, TimeProvider time, ILogger<SemanticExpirySweep> logger,
    PostgresProvisioner? provisioner = null)
    : BackgroundService
{
    private static readonly ActivitySource s_activity = new("Mnemora.Api.SemanticExpiry");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first sweep runs once this replica's start-up step has made the tenant role.
        if (provisioner is not null)
        {
            await provisioner.Provisioned.WaitAsync(stoppingToken);
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A failed sweep is retried next tick; reads already hide what it missed.
                LogSweepFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Sweeps until a batch comes back short of full.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var activity = s_activity.StartActivity("sweep expired semantic memories");
        var batchSize = options.Value.BatchSize;
        while (true)
        {
            var swept = await repository.SweepExpiredAsync(batchSize, cancellationToken);
            foreach (var tenant in swept.Where(t => t.Vectors > 0))
            {
                await usage.RecordAsync(tenant.TenantId, new UsageDelta(Vectors: -tenant.Vectors, PostgresBytes: -tenant.Bytes), cancellationToken);
                LogSwept(logger, tenant.TenantId, tenant.Vectors);
            }

            if (swept.Sum(t => t.Vectors) < batchSize)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Removed {Count} expired semantic memories of tenant {TenantId}")]
    private static partial void LogSwept(ILogger logger, string tenantId, long count);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "The semantic expiry sweep failed; it runs again next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

internal static class SemanticExpiryExtensions
{
    public static IHostApplicationBuilder AddSemanticExpiry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SemanticExpiryOptions>()
            .BindConfiguration(SemanticExpiryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<SemanticExpirySweep>();
        return builder;
    }
}
