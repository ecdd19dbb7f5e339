using System.Collections.Concurrent;

namespace Mnemora.Storage.Aws;

/// <summary>
/// What one request may still wait on a store that does not answer: a store's attempts that time out spend it, and
/// once <c>timeout × </c><see cref="StoreTimeoutOptions.Attempts"/> is spent the request's further calls to that store
/// fail at once. A read that makes many calls (a page over several cold objects) then costs at most what one call
/// costs when the store stalls, not a timeout per call; calls that answer spend nothing, however long the request.
/// Flows with the request's async context (<see cref="Begin"/>); work outside a request has no budget and is bounded
/// per call only.
/// </summary>
public sealed class StoreWaitBudget
{
    private static readonly AsyncLocal<StoreWaitBudget?> s_current = new();

    private readonly ConcurrentDictionary<string, long> _spentTicks = new(StringComparer.Ordinal);

    /// <summary>The budget of the current request, if one began.</summary>
    public static StoreWaitBudget? Current => s_current.Value;

    /// <summary>Starts a fresh budget for the calling async flow (a request); call it from an async method, so it ends with it.</summary>
    public static StoreWaitBudget Begin() => s_current.Value = new StoreWaitBudget();

    /// <summary>What is left of <paramref name="total"/> for <paramref name="store"/>.</summary>
    public TimeSpan Remaining(string store, TimeSpan total) =>
        total - TimeSpan.FromTicks(_spentTicks.TryGetValue(store, out var spent) ? Interlocked.Read(ref spent) : 0);

    /// <summary>Records time spent on an attempt at <paramref name="store"/> that did not answer.</summary>
    public void Spend(string store, TimeSpan waited) =>
        _spentTicks.AddOrUpdate(store, waited.Ticks, (_, spent) => spent + waited.Ticks);
}
