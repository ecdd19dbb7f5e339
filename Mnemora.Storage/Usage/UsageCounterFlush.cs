using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mnemora.Storage.Usage;

/// <summary>Writes the usage counters added up in memory (<see cref="DynamoUsageMeter.FlushAsync"/>) every second and when the host stops (giving back every storage lease).</summary>
internal sealed partial class UsageCounterFlush(DynamoUsageMeter meter, TimeProvider time, ILogger<UsageCounterFlush> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(DynamoUsageMeter.FlushEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(meter.FlushAllAsync, cancellationToken);
    }

    private Task FlushAsync(CancellationToken cancellationToken) => FlushAsync(meter.FlushAsync, cancellationToken);

    private async Task FlushAsync(Func<CancellationToken, Task> flush, CancellationToken cancellationToken)
    {
        try
        {
            await flush(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Kept in memory and written on the next flush.
            Log.FlushFailed(logger, exception);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the coalesced usage counters; retrying on the next flush")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
