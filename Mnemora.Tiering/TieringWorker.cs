using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Mnemora.Tiering;

/// <summary>Moves episodes past their hot retention from DynamoDB to S3, one cycle per interval.</summary>
internal sealed partial class TieringWorker(
    IOptions<TieringOptions> options,
    TieringStatus status,
    TimeProvider time,
    ILogger<TieringWorker> logger) : BackgroundService
{
    internal static readonly ActivitySource ActivitySource = new("Mnemora.Tiering");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            using var activity = ActivitySource.StartActivity("tiering cycle");
            var started = time.GetTimestamp();
            try
            {
                var moved = await RunCycleAsync(stoppingToken);
                status.CycleSucceeded(time.GetUtcNow(), moved);
                LogCycle(moved, time.GetElapsedTime(started));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                status.CycleFailed(time.GetUtcNow(), ex);
                LogCycleFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    // The move itself lands with episodic memory; the cycle, its telemetry and health are in place.
    private static Task<int> RunCycleAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled<int>(cancellationToken) : Task.FromResult(0);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Tiering cycle moved {Count} episodes in {Elapsed}")]
    private partial void LogCycle(int count, TimeSpan elapsed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Tiering cycle failed; the next cycle retries")]
    private partial void LogCycleFailed(Exception exception);
}
