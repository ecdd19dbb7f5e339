using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mnemora.Storage.Memory;

public static class MemoryStorageExtensions
{
    /// <summary>Working and episodic memory stores, shared by the API and the tiering worker. Needs <see cref="StorageExtensions.AddMnemoraStorage"/> (store clients and the usage meter).</summary>
    public static IServiceCollection AddMemoryStores(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StateStore>();
        services.AddSingleton<ColdEpisodeStore>();
        services.AddSingleton<EpisodeStore>();
        services.AddSingleton<EpisodeTierStore>();
        services.AddSingleton<EpisodeMover>();
        services.AddSingleton<PurgeMarkers>();
        services.AddSingleton<AgentPurge>();
        services.AddSingleton<EpisodeRetention>();
        services.AddSingleton<RecentEpisodes>();
        return services;
    }
}
