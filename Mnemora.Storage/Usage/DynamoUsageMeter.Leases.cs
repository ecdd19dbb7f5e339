using System.Collections.Concurrent;
using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Mnemora.Storage.Tenancy;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Usage;

/// <summary>
/// Storage leases: the storage limit without a store write per write. A replica adds a few hundred KB to the
/// tenant's <c>storage_bytes</c> at once (one conditional write, within the limit) and records it as its lease in
/// the totals item (<c>lease_{replica}</c>); it then reserves and records the tenant's writes in memory, out of
/// that lease, and writes what they added to the totals once per <see cref="FlushEvery"/>, moving it from the
/// lease to the stores' counters. <c>storage_bytes</c> is always the stores' bytes plus the leases, so the
/// store never grants past the limit.
/// </summary>
/// <remarks>
/// <para>
/// A lease is granted only while the tenant is far from its limit (at least <see cref="LeaseHeadroom"/> leases
/// left); nearer, each reservation takes exactly what it lacks, so on one replica every byte under the limit
/// can be used. Another replica's unused lease can refuse a write near the limit early, by at most what it
/// holds (at most <see cref="MaxStorageLease"/>); a lease unused for <see cref="StorageLeaseKeptFor"/> is given
/// back, and every lease is given back when the host stops.
/// </para>
/// <para>
/// Each lease item carries an expiry, renewed by its replica's writes, and a sequence number that every write
/// checks and advances (a write that timed out but landed is recognised, never applied twice). A crashed
/// replica's lease is taken back by the first replica refused near the limit once its expiry has passed; the
/// crash loses at most the last <see cref="FlushEvery"/> of that replica's counts, as with the embeddings.
/// </para>
/// </remarks>
public sealed partial class DynamoUsageMeter
{
    /// <summary>The most a replica holds for one tenant: 1 MB, or 1/256 of a smaller limit.</summary>
    public const long MaxStorageLease = 1024 * 1024;

    /// <summary>A lease is granted only while this many leases would still fit under the limit after it.</summary>
    public const int LeaseHeadroom = 16;

    /// <summary>How long a replica keeps a lease its tenant does not use.</summary>
    public static readonly TimeSpan StorageLeaseKeptFor = TimeSpan.FromMinutes(10);

    // The store's expiry of a lease, renewed by each of its replica's writes; spending stops a minute before it.
    private static readonly TimeSpan s_leaseLife = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan s_spendMargin = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_reclaimGrace = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_nearLimitFor = TimeSpan.FromSeconds(10);
    private const string LeasePrefix = "lease_";

    private readonly string _lease = LeasePrefix + Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, StorageLease> _storageLeases = new(StringComparer.Ordinal);

    private string LeaseUntil => _lease + "_until";

    private string LeaseSeq => _lease + "_seq";

    private sealed class StorageLease
    {
        /// <summary>One store write (grant or flush) at a time; the fields are guarded by <c>lock (this)</c>.</summary>
        public SemaphoreSlim Writer { get; } = new(1, 1);

        /// <summary>The lease as the store holds it.</summary>
        public long Granted;

        /// <summary>What was reserved and recorded here and is not yet in the store's counters.</summary>
        public UsageDelta Pending = new();

        /// <summary>Bytes of the lease being given back by the flush now writing.</summary>
        public long Returning;

        public long Seq;
        public DateTimeOffset Until;
        public DateTimeOffset LastReserved;

        /// <summary>Until then no whole lease is asked for: the last request was refused, the tenant is near its limit.</summary>
        public DateTimeOffset NearLimitUntil;

        /// <summary>Set once the entry left the dictionary: its users take the new one.</summary>
        public bool Forgotten;

        public long Available => Granted - Pending.StorageBytes - Returning;
    }

    private static long LeaseChunk(long limit) => Math.Max(1, Math.Min(MaxStorageLease, limit / 256));

    /// <summary>Reserves <paramref name="delta"/> (its storage positive) out of this replica's lease, taking more from the store when it runs short.</summary>
    private async Task ReserveStorageAsync(string pk, UsageDelta delta, long limit, CancellationToken cancellationToken)
    {
        if (delta.StorageBytes > limit)
        {
            throw Refused(StorageLimit.Storage, limit);
        }

        while (true)
        {
            var lease = _storageLeases.GetOrAdd(pk, _ => new StorageLease());
            if (TrySpend(lease, delta) is { } spent)
            {
                if (spent)
                {
                    return;
                }

                await lease.Writer.WaitAsync(cancellationToken);
                try
                {
                    switch (TrySpend(lease, delta))
                    {
                        case true:
                            return;
                        case false:
                            // Once sent, a grant counts in the store: it is not cancelled with the request.
                            await GrantAsync(pk, lease, delta.StorageBytes, limit, CancellationToken.None);
                            break;
                    }
                }
                finally
                {
                    lease.Writer.Release();
                }
            }

            // Forgotten (given back meanwhile) or granted: try again, on the entry now in the dictionary.
        }
    }

    /// <summary>True when spent from the lease, false when it lacks the bytes or is near its expiry, null when the entry was forgotten.</summary>
    private bool? TrySpend(StorageLease lease, UsageDelta delta)
    {
        var now = time.GetUtcNow();
        lock (lease)
        {
            if (lease.Forgotten)
            {
                return null;
            }

            // Bytes freed here and not yet written are spendable without a lease; a lease's bytes only before its expiry.
            if (lease.Available < delta.StorageBytes || (lease.Granted > 0 && now >= lease.Until - s_spendMargin))
            {
                return false;
            }

            lease.Pending = lease.Pending.Plus(delta);
            lease.LastReserved = now;
            return true;
        }
    }

    /// <summary>Adds the delta to this replica's pending counts when it holds a lease for the tenant (false: write it directly).</summary>
    private bool TryRecordInLease(string pk, UsageDelta delta)
    {
        if (!_storageLeases.TryGetValue(pk, out var lease))
        {
            return false;
        }

        lock (lease)
        {
            if (lease.Forgotten)
            {
                return false;
            }

            lease.Pending = lease.Pending.Plus(delta);
            return true;
        }
    }

    /// <summary>
    /// Takes what the lease lacks for <paramref name="need"/> bytes: a whole lease while the tenant is far from its
    /// limit, else exactly the shortfall; a lease near its expiry is renewed. Throws the limit's refusal.
    /// </summary>
    private async Task GrantAsync(string pk, StorageLease lease, long need, long limit, CancellationToken cancellationToken)
    {
        var chunk = LeaseChunk(limit);
        var now = time.GetUtcNow();
        long shortfall;
        bool nearLimit;
        lock (lease)
        {
            shortfall = Math.Max(0, need - lease.Available);
            nearLimit = now < lease.NearLimitUntil;
        }

        if (shortfall <= chunk && !nearLimit)
        {
            if (await TryGrantAsync(pk, lease, chunk, limit - (LeaseHeadroom * chunk), cancellationToken))
            {
                return;
            }

            lock (lease)
            {
                lease.NearLimitUntil = now + s_nearLimitFor;
            }
        }

        if (shortfall == 0 ? await TryGrantAsync(pk, lease, 0, long.MaxValue, cancellationToken) : await TryGrantAsync(pk, lease, shortfall, limit, cancellationToken))
        {
            return;
        }

        // Leases of replicas that stopped without giving them back hold bytes no write will use: take them back once.
        if (await ReclaimExpiredLeasesAsync(pk, cancellationToken) && await TryGrantAsync(pk, lease, Math.Max(shortfall, 0), limit, cancellationToken))
        {
            return;
        }

        throw Refused(StorageLimit.Storage, limit);
    }

    /// <summary>Adds <paramref name="amount"/> to the lease if <c>storage_bytes</c> stays at most <paramref name="ceiling"/>; false when it would not.</summary>
    private async Task<bool> TryGrantAsync(string pk, StorageLease lease, long amount, long ceiling, CancellationToken cancellationToken)
    {
        if (amount > ceiling)
        {
            return false;
        }

        for (var attempt = 0; ; attempt++)
        {
            var until = time.GetUtcNow() + s_leaseLife;
            long seq;
            lock (lease)
            {
                seq = lease.Seq;
            }

            var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                [":until"] = N(until.ToUnixTimeSeconds()),
                [":next"] = N(seq + 1),
                [":max"] = N(ceiling - amount),
            };
            var update = $"SET #until = :until, #seq = :next";
            if (amount > 0)
            {
                update = $"ADD {StorageBytes} :amount, #lease :amount " + update;
                values[":amount"] = N(amount);
            }

            var condition = $"({WithinStorageLimit}) AND {SeqCondition(seq, values)}";
            var request = new UpdateItemRequest
            {
                TableName = Table,
                Key = Key(pk, TenantItems.TotalsSk),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = LeaseNames(),
                ExpressionAttributeValues = values,
            };
            try
            {
                await dynamo.UpdateItemAsync(request, cancellationToken);
                Granted(lease, amount, seq + 1, until);
                return true;
            }
            catch (ConditionalCheckFailedException) when (attempt == 0)
            {
                var item = await GetAsync(pk, TenantItems.TotalsSk, cancellationToken);
                var stored = item.GetLong(LeaseSeq);
                if (stored == seq + 1)
                {
                    // An earlier attempt of this very write landed (it timed out, and the SDK sent it again).
                    Granted(lease, amount, seq + 1, until);
                    return true;
                }

                if (stored != seq)
                {
                    // The store's lease is not the one believed here: taken back as expired, or written by an attempt
                    // thought lost. What the store holds is the truth; pending counts stay pending.
                    Adopt(lease, item);
                    continue;
                }

                if (item is not null && !item.ContainsKey(StorageBytes) && await BackfillStorageBytesAsync(request.Key, cancellationToken))
                {
                    continue;
                }

                return false;
            }
            catch (ConditionalCheckFailedException)
            {
                return false;
            }
        }
    }

    private void Granted(StorageLease lease, long amount, long seq, DateTimeOffset until)
    {
        lock (lease)
        {
            // Counts as use: a flush between this grant and the reservation it is for must not give it back as idle.
            lease.LastReserved = time.GetUtcNow();
            lease.Granted += amount;
            lease.Seq = seq;
            lease.Until = until;
        }
    }

    private void Adopt(StorageLease lease, Dictionary<string, AttributeValue>? item)
    {
        lock (lease)
        {
            lease.Granted = item.GetLong(_lease);
            lease.Seq = item.GetLong(LeaseSeq);
            lease.Until = DateTimeOffset.FromUnixTimeSeconds(item.GetLong(LeaseUntil));
        }
    }

    private string SeqCondition(long seq, Dictionary<string, AttributeValue> values)
    {
        if (seq == 0)
        {
            return "attribute_not_exists(#seq)";
        }

        values[":seq"] = N(seq);
        return "#seq = :seq";
    }

    private Dictionary<string, string> LeaseNames() => new(StringComparer.Ordinal)
    {
        ["#lease"] = _lease,
        ["#until"] = LeaseUntil,
        ["#seq"] = LeaseSeq,
    };

    /// <summary>Takes back the leases whose expiry passed (their replica stopped without giving them back); true when one was.</summary>
    private async Task<bool> ReclaimExpiredLeasesAsync(string pk, CancellationToken cancellationToken)
    {
        var item = await GetAsync(pk, TenantItems.TotalsSk, cancellationToken);
        if (item is null)
        {
            return false;
        }

        var expired = time.GetUtcNow() - s_reclaimGrace;
        var reclaimed = false;
        foreach (var name in item.Keys.Where(k => k.StartsWith(LeasePrefix, StringComparison.Ordinal) && k.EndsWith("_until", StringComparison.Ordinal)))
        {
            var lease = name[..^"_until".Length];
            if (lease == _lease || DateTimeOffset.FromUnixTimeSeconds(item.GetLong(name)) > expired)
            {
                continue;
            }

            try
            {
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = Table,
                    Key = Key(pk, TenantItems.TotalsSk),
                    UpdateExpression = $"ADD {StorageBytes} :minus REMOVE #lease, #until, #seq",
                    ConditionExpression = "#seq = :seq",
                    ExpressionAttributeNames = new(StringComparer.Ordinal) { ["#lease"] = lease, ["#until"] = name, ["#seq"] = lease + "_seq" },
                    ExpressionAttributeValues = new(StringComparer.Ordinal)
                    {
                        [":minus"] = N(-item.GetLong(lease)),
                        [":seq"] = N(item.GetLong(lease + "_seq")),
                    },
                }, cancellationToken);
                reclaimed = true;
            }
            catch (ConditionalCheckFailedException)
            {
                // Its replica wrote meanwhile: alive after all.
            }
        }

        return reclaimed;
    }

    /// <summary>
    /// Writes each tenant's pending counts, moving them from the lease to the stores' counters, renews a lease near
    /// its expiry, and gives back one unused for <see cref="StorageLeaseKeptFor"/>
    /// (every one when <paramref name="returnAll"/>). What fails stays pending for the next flush.
    /// </summary>
    private async Task FlushStorageLeasesAsync(bool returnAll, CancellationToken cancellationToken)
    {
        List<Exception>? failures = null;
        foreach (var (pk, lease) in _storageLeases)
        {
            try
            {
                await FlushLeaseAsync(pk, lease, returnAll, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                (failures ??= []).Add(exception);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException(failures);
        }
    }

    private async Task FlushLeaseAsync(string pk, StorageLease lease, bool returnAll, CancellationToken cancellationToken)
    {
        await lease.Writer.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            UsageDelta pending;
            long granted, seq, giveBack;
            lock (lease)
            {
                (pending, granted, seq) = (lease.Pending, lease.Granted, lease.Seq);
                var unused = Math.Max(0, granted - pending.StorageBytes);
                giveBack = returnAll || now - lease.LastReserved >= StorageLeaseKeptFor ? unused : 0;
                var renew = granted > 0 && now >= lease.Until - (s_leaseLife / 2);
                if (pending.IsEmpty && giveBack == 0 && !renew && granted > 0)
                {
                    return;
                }

                if (pending.IsEmpty && granted == 0 && seq == 0)
                {
                    // Nothing held, nothing pending: the entry goes; a reservation made meanwhile takes a new one.
                    lease.Forgotten = true;
                    _storageLeases.TryRemove(new KeyValuePair<string, StorageLease>(pk, lease));
                    return;
                }

                lease.Returning = giveBack;
            }

            try
            {
                // A lease never grows by a flush: bytes freed past it go back to the tenant's storage_bytes.
                var kept = Math.Clamp(granted - pending.StorageBytes - giveBack, 0, granted);
                var until = now + s_leaseLife;
                var (written, next) = await WriteLeaseAsync(pk, pending, granted, kept, seq, until, cancellationToken);
                lock (lease)
                {
                    lease.Pending = lease.Pending.Minus(pending);
                    lease.Granted = written;
                    lease.Seq = next;
                    lease.Until = until;
                }
            }
            finally
            {
                lock (lease)
                {
                    lease.Returning = 0;
                }
            }
        }
        finally
        {
            lease.Writer.Release();
        }
    }

    /// <summary>
    /// One update of the totals: the pending counts into the stores' counters, the lease set to <paramref name="kept"/>,
    /// and <c>storage_bytes</c> moved so that it stays the stores' bytes plus the leases, checked against the lease's
    /// sequence number. A lease given back whole is first written as 0 (a write that timed out but landed is then
    /// recognised by its number) and removed by a later flush with nothing pending. A lease taken back meanwhile
    /// (expired) is written as none: what was pending goes straight into the counters.
    /// </summary>
    private async Task<(long Granted, long Seq)> WriteLeaseAsync(string pk, UsageDelta pending, long granted, long kept, long seq, DateTimeOffset until, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
            var adds = new List<string>();
            foreach (var (attribute, delta) in (ReadOnlySpan<(string, long)>)[
                (A.Vectors, pending.Vectors), (A.DynamoBytes, pending.DynamoBytes), (A.S3Bytes, pending.S3Bytes),
                (A.PostgresBytes, pending.PostgresBytes), (StorageBytes, pending.StorageBytes + kept - granted),
                (A.Agents, pending.Agents), (A.Sessions, pending.Sessions)])
            {
                if (delta != 0)
                {
                    adds.Add($"{attribute} :{attribute}");
                    values[":" + attribute] = N(delta);
                }
            }

            var update = adds.Count > 0 ? "ADD " + string.Join(", ", adds) : "";
            string? condition = null;
            Dictionary<string, string>? names = null;
            var next = 0L;
            var cleanup = seq > 0 && granted == 0 && pending.IsEmpty;
            if (seq > 0 || kept > 0)
            {
                names = LeaseNames();
                condition = SeqCondition(seq, values);
                if (cleanup)
                {
                    update += " REMOVE #lease, #until, #seq";
                }
                else
                {
                    next = seq + 1;
                    update += " SET #lease = :kept, #until = :until, #seq = :next";
                    values[":kept"] = N(kept);
                    values[":until"] = N(until.ToUnixTimeSeconds());
                    values[":next"] = N(next);
                }
            }

            if (update.Length == 0)
            {
                return (0, 0);
            }

            try
            {
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = Table,
                    Key = Key(pk, TenantItems.TotalsSk),
                    UpdateExpression = update.Trim(),
                    ConditionExpression = condition,
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values,
                }, cancellationToken);
                return (kept, next);
            }
            catch (ConditionalCheckFailedException) when (cleanup)
            {
                // Removed already (taken back, or this removal's earlier attempt landed): nothing was pending.
                return (0, 0);
            }
            catch (ConditionalCheckFailedException) when (attempt == 0)
            {
                var item = await GetAsync(pk, TenantItems.TotalsSk, cancellationToken);
                var stored = item.GetLong(LeaseSeq);
                if (next > 0 && stored == next)
                {
                    return (kept, next);
                }

                if (stored != 0 || (item?.ContainsKey(_lease) ?? false))
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The storage lease of {pk} is at sequence {stored}, not {seq}: another writer uses this replica's lease name."));
                }

                // Taken back as expired, with the pending bytes it held: they go straight into the counters.
                (granted, seq, kept) = (0, 0, 0);
            }
        }
    }

    /// <summary>This replica's pending counts for the tenant, read with no flush writing them (the store read is made in between).</summary>
    private async Task<T> WithPendingAsync<T>(string pk, Func<UsageDelta, Task<T>> read, CancellationToken cancellationToken)
    {
        if (!_storageLeases.TryGetValue(pk, out var lease))
        {
            return await read(new UsageDelta());
        }

        await lease.Writer.WaitAsync(cancellationToken);
        try
        {
            UsageDelta pending;
            lock (lease)
            {
                pending = lease.Forgotten ? new UsageDelta() : lease.Pending;
            }

            return await read(pending);
        }
        finally
        {
            lease.Writer.Release();
        }
    }
}
