using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Agents;

internal static class AgentExtensions
{
    /// <summary>The whole-agent features: purge (also of a deleted tenant's agents), the search over every kind, and the operator's agent counts.</summary>
    public static IHostApplicationBuilder AddWholeAgent(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentPurger>();
        builder.Services.AddSingleton<SemanticAgents>();
        builder.Services.AddSingleton<MemorySearch>();
        builder.Services.AddSingleton<ITenantPurger, TenantAgentPurger>();
        return builder;
    }
}
