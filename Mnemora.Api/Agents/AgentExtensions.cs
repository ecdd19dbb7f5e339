using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Agents;

internal static class AgentExtensions
{
    /// <summary>The whole-agent features: erasure (also of a deleted tenant's agents), the search over every kind, and the operator's agent counts.</summary>
    public static IHostApplicationBuilder AddWholeAgent(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentErasure>();
        builder.Services.AddSingleton<EpisodeEmbeddings>();
        builder.Services.AddSingleton<MemorySearch>();
        builder.Services.AddSingleton<ITenantErasure, TenantAgentsErasure>();
        return builder;
    }
}
