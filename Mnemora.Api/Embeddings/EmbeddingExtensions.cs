using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Mnemora.Api.Embeddings;

internal static class EmbeddingExtensions
{
    /// <summary>
    /// Registers <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: the local model by default, an
    /// OpenAI-compatible endpoint when <c>Mnemora:Embeddings:Provider</c> is <c>openai</c>; either way
    /// behind the bounded queue that shares the model between tenants and batches their texts, with telemetry.
    /// </summary>
    public static IHostApplicationBuilder AddMnemoraEmbeddings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmbeddingOptions>()
            .BindConfiguration(EmbeddingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddEmbeddingGenerator(services =>
            {
                var options = services.GetRequiredService<IOptions<EmbeddingOptions>>().Value;
                return options.Provider switch
                {
                    EmbeddingProvider.OpenAI => CreateOpenAI(options),
                    _ => new LocalEmbeddingGenerator(options.MaxInputCharacters),
                };
            })
            .Use((inner, services) =>
            {
                var options = services.GetRequiredService<IOptions<EmbeddingOptions>>().Value;
                return new BatchingEmbeddingGenerator(
                    inner, options.MaxConcurrency, options.MaxBatchSize, options.MaxBatchCharacters, options.MaxInputCharacters, options.MaxQueuedPerTenant, options.Dimensions,
                    options.ShortTextCharacters);
            })
            .UseOpenTelemetry(sourceName: "Mnemora.Embeddings");

        builder.Services.AddSingleton<EmbeddingWarmup>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingWarmup>());
        return builder;
    }

    private static IEmbeddingGenerator<string, Embedding<float>> CreateOpenAI(EmbeddingOptions options)
    {
        var client = new OpenAIClient(
            new ApiKeyCredential(string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey),
            new OpenAIClientOptions { Endpoint = options.Endpoint });
        return client.GetEmbeddingClient(options.Model).AsIEmbeddingGenerator(options.Dimensions);
    }
}
