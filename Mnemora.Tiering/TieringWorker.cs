using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Memory;

namespace Mnemora.Tiering;

/// <summary>
/// Moves episodes past their hot retention from DynamoDB to S3, one cycle per interval, without
/// a Scan: registered hours up to the cutoff → per hour and shard, the agent partitions in the
/// tier index → per partition, <see cref="EpisodeMover"/>. An hour is forgotten once it lies wholly
/// before the cutoff (plus a grace for requests still in flight) and its index buckets are empty.
/// Every <see cref="TieringOptions.RetentionInterval"/>, before moving, the cycle also deletes episodes past
/// their tenant's retention (<see cref="EpisodeRetention"/>), so nothing is moved only to be deleted.
/// </summary>
internal sealed partial class TieringWorker(
    EpisodeTierStore tier,
    EpisodeMover mover,
    EpisodeRetention retention,
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
        long? lastRetention = null;
        do
        {
            using var activity = ActivitySource.StartActivity("tiering cycle");
            var started = time.GetTimestamp();
            try
            {
                if (lastRetention is not { } last || time.GetElapsedTime(last) >= options.Value.RetentionInterval)
                {
                    // Marked first: a failing pass fails this cycle only, and moving goes on in the next ones.
                    lastRetention = started;
                    await ExpireAsync(stoppingToken);
                }

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

    /// <summary>One retention pass over every tenant; its audit events carry the pass's id as their request id.</summary>
    private async Task ExpireAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity("retention pass");
        var runId = $"retention-{Guid.CreateVersion7(time.GetUtcNow()):N}";
        var expired = await retention.ExpireAllAsync(runId, cancellationToken);
        activity?.SetTag("mnemora.episodes_expired", expired.HotEpisodes + expired.ColdEpisodes);
        if (!expired.IsEmpty)
        {
            LogExpired(expired.HotEpisodes, expired.ColdEpisodes, expired.Agents);
        }
    }

    private async Task<int> RunCycleAsync(CancellationToken cancellationToken)
    {
        var cutoffTime = time.GetUtcNow() - options.Value.HotRetention;
        var cutoff = EpisodePosition.FormatTimestamp(cutoffTime) + "#~";
        var faultFor = FaultInjection();
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
                    var count = await mover.MovePartitionAsync(partition, cutoff, faultFor?.Invoke(partition), cancellationToken);
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

    /// <summary>
    /// The crash tests' hook: null (no overhead) unless a fault file is configured and present. The file names a
    /// step and optionally a partition, so a test kills the worker on its own partition and not another test's.
    /// </summary>
    private Func<string, Func<TieringStep, CancellationToken, ValueTask>?>? FaultInjection()
    {
        if (options.Value.FaultFile is not { Length: > 0 } path || !File.Exists(path))
        {
            return null;
        }

        var fault = File.ReadAllText(path).Split((char[])[' ', '\n', '\r', '\t'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fault.Length == 0 || !Enum.TryParse<TieringStep>(fault[0], ignoreCase: true, out var crashAfter))
        {
            return null;
        }

        var target = fault.Length > 1 ? fault[1] : null;
        return partition => target is not null && target != partition ? null : (step, _) =>
        {
            if (step == crashAfter && File.Exists(path))
            {
                File.Delete(path);
                LogKillingSelf(step, partition);
                // The logger writes on a background thread that the kill would cut short.
                Console.Error.WriteLine($"Fault injection: killing the worker after {step} of {partition}");
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

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Retention deleted {Hot} hot and {Cold} cold episodes of {Agents} agents")]
    private partial void LogExpired(long hot, long cold, int agents);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "Fault injection: killing the worker after {Step} of {Partition}")]
    private partial void LogKillingSelf(TieringStep step, string partition);
}
