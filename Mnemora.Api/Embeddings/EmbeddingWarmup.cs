using Microsoft.Extensions.AI;

namespace Mnemora.Api.Embeddings;

/// <summary>
/// Loads the model at start (seconds for the local one) so the first request does not pay for it,
/// and checks that the configured provider answers with vectors of the column's size.
/// </summary>
internal sealed partial class EmbeddingWarmup(IEmbeddingGenerator<string, Embedding<float>> generator, ILogger<EmbeddingWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await generator.GenerateAsync(["warm up"], cancellationToken: stoppingToken);
            LogReady();
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Embedding model loaded")]
    private partial void LogReady();

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The embedding provider failed its start check; semantic memory requests will fail until it answers")]
    private partial void LogFailed(Exception exception);
}
