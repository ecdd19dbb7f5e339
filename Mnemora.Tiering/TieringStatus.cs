using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mnemora.Tiering;

/// <summary>What the last cycle did, for the health check.</summary>
internal sealed class TieringStatus
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private string? _lastError;
    private int _lastMoved;

    public void CycleSucceeded(DateTimeOffset at, int moved)
    {
        lock (_lock)
        {
            _lastSuccess = at;
            _lastMoved = moved;
            _lastError = null;
        }
    }

    public void CycleFailed(DateTimeOffset at, Exception exception)
    {
        lock (_lock)
        {
            _lastFailure = at;
            _lastError = exception.GetType().Name;
        }
    }

    public (DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, string? LastError, int LastMoved) Snapshot()
    {
        lock (_lock)
        {
            return (_lastSuccess, _lastFailure, _lastError, _lastMoved);
        }
    }
}

/// <summary>Healthy while cycles succeed; degraded when the last one failed (a store is down: the worker retries).</summary>
internal sealed class TieringHealthCheck(TieringStatus status, IOptions<TieringOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (lastSuccess, lastFailure, lastError, lastMoved) = status.Snapshot();
        var data = new Dictionary<string, object>
        {
            ["last_success"] = lastSuccess?.ToString("O") ?? "never",
            ["last_moved"] = lastMoved,
        };

        if (lastFailure > (lastSuccess ?? DateTimeOffset.MinValue))
        {
            return Task.FromResult(HealthCheckResult.Degraded($"The last cycle failed ({lastError}); retrying.", data: data));
        }

        // A worker that has not completed a cycle for several intervals is stuck.
        var stale = lastSuccess is { } success && time.GetUtcNow() - success > options.Value.Interval * 3 + TimeSpan.FromMinutes(1);
        return Task.FromResult(stale
            ? HealthCheckResult.Unhealthy("No cycle has completed recently.", data: data)
            : HealthCheckResult.Healthy(lastSuccess is null ? "Starting." : "Cycles are completing.", data));
    }
}
