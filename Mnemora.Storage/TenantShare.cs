namespace Mnemora.Storage;

/// <summary>
/// At most a fixed number of one tenant's calls at a time on a shared resource. A call over the share waits up to a
/// bound for one of the tenant's own calls to end, then is a <see cref="TenantBusyException"/>: a tenant that floods
/// a pool queues behind itself and is told to slow down, and every other tenant still finds the rest of the pool.
/// Only tenants with calls in flight hold an entry.
/// </summary>
public sealed class TenantShare(string resource, int perTenant, TimeSpan wait)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int PerTenant { get; } = perTenant > 0 ? perTenant : throw new ArgumentOutOfRangeException(nameof(perTenant));

    /// <summary>Takes one of the tenant's places; dispose the result to give it back.</summary>
    public async ValueTask<Place> EnterAsync(string tenantId, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(tenantId, out entry!))
            {
                _entries[tenantId] = entry = new Entry(PerTenant);
            }

            entry.Users++;
        }

        var entered = false;
        try
        {
            entered = await entry.Places.WaitAsync(wait, cancellationToken);
        }
        finally
        {
            if (!entered)
            {
                Leave(tenantId, entry, held: false);
            }
        }

        return entered
            ? new Place(this, tenantId, entry)
            : throw new TenantBusyException(resource, TimeSpan.FromSeconds(1),
                PerTenant == 1
                    ? $"This tenant already has a call using {resource}; retry when it has ended."
                    : $"This tenant already has {PerTenant} calls using {resource} at once; retry when one of them has ended.");
    }

    /// <summary>The tenant's calls in flight or waiting (0 when it has none).</summary>
    public int InUse(string tenantId)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(tenantId, out var entry) ? entry.Users : 0;
        }
    }

    private void Leave(string tenantId, Entry entry, bool held)
    {
        if (held)
        {
            entry.Places.Release();
        }

        lock (_lock)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(tenantId);
                entry.Places.Dispose();
            }
        }
    }

    internal sealed class Entry(int places)
    {
        public SemaphoreSlim Places { get; } = new(places, places);

        /// <summary>Calls holding or waiting for a place; guarded by the share's lock.</summary>
        public int Users { get; set; }
    }

    /// <summary>One held place.</summary>
    public readonly struct Place : IDisposable
    {
        private readonly TenantShare _share;
        private readonly string _tenantId;
        private readonly Entry _entry;

        internal Place(TenantShare share, string tenantId, Entry entry) => (_share, _tenantId, _entry) = (share, tenantId, entry);

        public void Dispose() => _share?.Leave(_tenantId, _entry, held: true);
    }
}
