using System.Collections.Concurrent;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// Counts a tenant's calls against its daily limit without a store write per call: this replica
/// takes a few of the day's calls at once from the counter in DynamoDB (a lease, one conditional
/// write) and hands them out from memory. Leases shrink to one call as the limit nears, so the
/// limit stays exact: the store never grants more calls than the limit, and on one replica every
/// call granted is made before any is refused.
/// </summary>
/// <remarks>
/// A lease running low is refilled in the background, so a tenant seen in the last
/// <see cref="KeepFor"/> takes its calls from memory however slowly it calls. Calls leased and not
/// yet made are given back once the tenant is idle for <see cref="KeepFor"/> (for <see cref="IdleAfter"/>
/// when its last calls of the day are near) and when the API stops. Until then the store's count is
/// ahead by at most <see cref="MaxLease"/> per tenant and replica (and at most 1/64 of the calls that
/// were left); reads of the count subtract this replica's share (<see cref="Unused"/>). With several
/// replicas, another replica's unused lease can refuse a call near the limit early, by at most what
/// that replica holds; a crashed replica's unused lease stays counted that day (never fewer calls
/// counted than made).
/// </remarks>
public sealed partial class CallLeases(CallCounters store, TimeProvider time, ILogger<CallLeases> logger) : BackgroundService
{
    public const int MaxLease = 50;
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan s_sweepEvery = TimeSpan.FromSeconds(1);

    // Below this many calls left, leases are one call each and an idle one goes back within IdleAfter.
    private const long NearLimit = 128;

    private readonly ConcurrentDictionary<(string TenantId, DateOnly Day), Lease> _leases = new();
    private volatile bool _stopping;

    /// <summary>Takes one call of the tenant's day: from this replica's lease, else from a new one.</summary>
    public async Task<CallCount> TryTakeAsync(string tenantId, DateTimeOffset now, long dailyLimit, CancellationToken cancellationToken)
    {
        var key = (tenantId, DateOnly.FromDateTime(now.UtcDateTime));
        var lease = _leases.GetOrAdd(key, _ => new Lease());
        await lease.Gate.WaitAsync(cancellationToken);
        while (lease.Forgotten)
        {
            lease.Gate.Release();
            lease = _leases.GetOrAdd(key, _ => new Lease());
            await lease.Gate.WaitAsync(cancellationToken);
        }

        try
        {
            lease.LastUsed = time.GetUtcNow();
            if (lease.Unused == 0)
            {
                // Once the write is sent its calls are counted, so it is not cancelled with the request.
                var size = LeaseSize(dailyLimit, lease.Counted);
                var count = await store.TryCountCallsAsync(tenantId, now, dailyLimit, size, CancellationToken.None);
                if (!count.Allowed && size > 1)
                {
                    size = 1;
                    count = await store.TryCountCallsAsync(tenantId, now, dailyLimit, size, CancellationToken.None);
                }

                if (!count.Allowed)
                {
                    return count;
                }

                // A refill ahead may have landed meanwhile, before or after this write.
                lease.Counted = Math.Max(lease.Counted, count.CallsToday);
                lease.Unused = size;
            }

            lease.Unused--;
            lease.Limit = dailyLimit;
            var taken = new CallCount(true, lease.Counted - lease.Unused);
            if (lease.Unused <= LowWater(dailyLimit, lease.Counted) && dailyLimit - lease.Counted >= NearLimit
                && Interlocked.CompareExchange(ref lease.Refilling, 1, 0) == 0)
            {
                _ = Task.Run(() => RefillAheadAsync(tenantId, now, lease), CancellationToken.None);
            }

            return taken;
        }
        finally
        {
            lease.Gate.Release();
        }
    }

    /// <summary>
    /// Hands back a call taken by <see cref="TryTakeAsync"/> that the service failed (a 5xx): the tenant
    /// is not charged for it, so a client's retry of it costs one call, not two. The call goes back
    /// into this replica's lease (the store counts it until the lease is used or given back).
    /// </summary>
    public async Task GiveBackAsync(string tenantId, DateTimeOffset now)
    {
        if (!_leases.TryGetValue((tenantId, DateOnly.FromDateTime(now.UtcDateTime)), out var lease))
        {
            return;
        }

        await lease.Gate.WaitAsync(CancellationToken.None);
        try
        {
            // A forgotten lease's calls went back to the store already; the failed call stays counted.
            if (!lease.Forgotten && lease.Unused < lease.Counted)
            {
                lease.Unused++;
            }
        }
        finally
        {
            lease.Gate.Release();
        }
    }

    /// <summary>
    /// Tops a low lease up off the request path, so the next call does not wait for the store. The gate is not held
    /// during the write: calls keep coming out of what the lease still has meanwhile.
    /// </summary>
    private async Task RefillAheadAsync(string tenantId, DateTimeOffset day, Lease lease)
    {
        try
        {
            long limit;
            int size;
            await lease.Gate.WaitAsync(CancellationToken.None);
            try
            {
                limit = lease.Limit;
                size = LeaseSize(limit, lease.Counted) - (int)lease.Unused;
                if (_stopping || lease.Forgotten || size < 1 || limit - lease.Counted < NearLimit)
                {
                    return;
                }
            }
            finally
            {
                lease.Gate.Release();
            }

            var count = await store.TryCountCallsAsync(tenantId, day, limit, size, CancellationToken.None);
            if (!count.Allowed)
            {
                return;
            }

            await lease.Gate.WaitAsync(CancellationToken.None);
            try
            {
                if (lease.Forgotten || _stopping)
                {
                    // The lease went back to the store while the write was out (the API is stopping): so do these calls.
                    await store.ReturnCallsAsync(tenantId, day, size, CancellationToken.None);
                    return;
                }

                lease.Counted = Math.Max(lease.Counted, count.CallsToday);
                lease.Unused += size;
            }
            finally
            {
                lease.Gate.Release();
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Nothing was lost: the next call that finds the lease empty takes one itself.
            Log.RefillFailed(logger, exception, tenantId);
        }
        finally
        {
            Volatile.Write(ref lease.Refilling, 0);
        }
    }

    /// <summary>A lease is refilled when a quarter of a full one is left.</summary>
    private static long LowWater(long dailyLimit, long counted) => Math.Max(1, LeaseSize(dailyLimit, counted) / 4);

    /// <summary>Calls of the tenant's day that the store counts but this replica has not made yet.</summary>
    public long Unused(string tenantId, DateTimeOffset now) =>
        _leases.TryGetValue((tenantId, DateOnly.FromDateTime(now.UtcDateTime)), out var lease) ? Volatile.Read(ref lease.Unused) : 0;

    /// <summary>Leases of 1/64 of what is left, 1 to <see cref="MaxLease"/>: big tenants write rarely, the last calls one by one.</summary>
    private static int LeaseSize(long dailyLimit, long counted) =>
        (int)Math.Clamp((dailyLimit - counted) / 64, 1, MaxLease);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_sweepEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await GiveBackAsync(idleOnly: true, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await base.StopAsync(cancellationToken);
        await GiveBackAsync(idleOnly: false, cancellationToken);
    }

    private async Task GiveBackAsync(bool idleOnly, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var ((tenantId, day), lease) in _leases)
        {
            var idleFor = now - lease.LastUsed;
            var keepFor = lease.Limit - lease.Counted < NearLimit ? IdleAfter : KeepFor;
            if (idleOnly && idleFor < keepFor)
            {
                continue;
            }

            if (!await lease.Gate.WaitAsync(TimeSpan.Zero, cancellationToken))
            {
                continue;
            }

            try
            {
                if (lease.Unused > 0)
                {
                    await store.ReturnCallsAsync(tenantId, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), (int)lease.Unused, cancellationToken);
                    lease.Counted -= lease.Unused;
                    lease.Unused = 0;
                }
                else if (idleFor > KeepFor)
                {
                    lease.Forgotten = true;
                    _leases.TryRemove(new((tenantId, day), lease));
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The store is down: the lease is kept and given back on a later sweep.
                Log.GiveBackFailed(logger, exception, tenantId);
            }
            finally
            {
                lease.Gate.Release();
            }
        }
    }

    private sealed class Lease
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public long Unused;
        public long Counted;
        public long Limit;
        public int Refilling;
        public DateTimeOffset LastUsed;
        public bool Forgotten;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give back the unused calls of tenant {TenantId}; retrying on the next sweep")]
        public static partial void GiveBackFailed(ILogger logger, Exception exception, string tenantId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refill the call lease of tenant {TenantId} ahead; the next call takes one")]
        public static partial void RefillFailed(ILogger logger, Exception exception, string tenantId);
    }
}
