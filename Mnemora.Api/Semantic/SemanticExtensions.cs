using Mnemora.Api.Embeddings;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Semantic;

internal static class SemanticExtensions
{
    /// <summary>
    /// Semantic memory: embeddings, the PostgreSQL store (the tenant role's data source, repository and
    /// health checks, with the start step that migrates and readies that role) and the service.
    /// </summary>
    public static IHostApplicationBuilder AddSemanticMemory(this IHostApplicationBuilder builder)
    {
        builder.AddMnemoraEmbeddings();
        builder.AddMnemoraSemanticStore(provision: true);
        builder.Services.AddScoped<SemanticMemoryService>();
        return builder;
    }
}
