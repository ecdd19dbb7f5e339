using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Memory;

namespace Mnemora.Tiering;

/// <summary>
/// Moves episodes past their hot retention from DynamoDB to S3, one cycle per interval, without
/// a Scan: registered hours up to the cutoff → per hour and shard, the agent partitions in the
/// tier index → per partition, <see cref="EpisodeMover"/>. An hour is forgotten once it lies wholly
/// before the cutoff (plus a grace for requests still in flight) and its index buckets are empty.
/// </summary>
internal sealed partial class TieringWorker(
    EpisodeTierStore tier,
    EpisodeMover mover,
    IOptions<TieringOptions> options,
    TieringStatus status,
    TimeProvider time,
    ILogger<TieringWorker> logger) : BackgroundService
{
    internal static readonly ActivitySource ActivitySource = new("Mnemora.Tiering");

    // An episode is timestamped before it is written; one stamped late in an hour may land a little after it.
    private static readonly TimeSpan s_hourGrace = TimeSpan.FromMinutes(5);

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
                activity?.SetTag("mnemora.episodes_moved", moved);
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

    private async Task<int> RunCycleAsync(CancellationToken cancellationToken)
    {
        var cutoffTime = time.GetUtcNow() - options.Value.HotRetention;
        var cutoff = EpisodePosition.FormatTimestamp(cutoffTime) + "#~";
        var onStep = FaultInjection();
        var moved = 0;
        foreach (var hour in await tier.RegisteredHoursAsync(MemoryKeys.TierHour(cutoffTime), cancellationToken))
        {
            var remaining = false;
            for (var shard = 0; shard < MemoryKeys.TierShards; shard++)
            {
                var bucket = MemoryKeys.TierBucketFor(hour, shard);
                string? after = null;
                while (await tier.NextPartitionAsync(bucket, after, cancellationToken) is { } partition)
                {
                    using var activity = ActivitySource.StartActivity("tiering partition");
                    var count = await mover.MovePartitionAsync(partition, cutoff, onStep, cancellationToken);
                    activity?.SetTag("mnemora.episodes_moved", count);
                    moved += count;
                    after = partition;
                }

                remaining |= await tier.NextPartitionAsync(bucket, null, cancellationToken) is not null;
            }

            if (!remaining && MemoryKeys.ParseTierHour(hour).AddHours(1) + s_hourGrace <= cutoffTime)
            {
                await tier.RemoveHourAsync(hour, cancellationToken);
                LogHourDone(hour);
            }
        }

        return moved;
    }

    /// <summary>The crash tests' hook: null (no overhead) unless a fault file is configured and present.</summary>
    private Func<TieringStep, CancellationToken, ValueTask>? FaultInjection()
    {
        if (options.Value.FaultFile is not { Length: > 0 } path || !File.Exists(path)
            || !Enum.TryParse<TieringStep>(File.ReadAllText(path).Trim(), ignoreCase: true, out var crashAfter))
        {
            return null;
        }

        return (step, _) =>
        {
            if (step == crashAfter && File.Exists(path))
            {
                File.Delete(path);
                LogKillingSelf(step);
                // The logger writes on a background thread that the kill would cut short.
                Console.Error.WriteLine($"Fault injection: killing the worker after {step}");
                using var self = Process.GetCurrentProcess();
                self.Kill();
            }

            return ValueTask.CompletedTask;
        };
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Tiering cycle moved {Count} episodes in {Elapsed}")]
    private partial void LogCycle(int count, TimeSpan elapsed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Tiering cycle failed; the next cycle retries")]
    private partial void LogCycleFailed(Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Hour {Hour} has no hot episodes left; forgotten")]
    private partial void LogHourDone(string hour);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "Fault injection: killing the worker after {Step}")]
    private partial void LogKillingSelf(TieringStep step);
}
