using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Memory;

public static class MemoryStorageExtensions
{
    /// <summary>Working and episodic memory stores, shared by the API and the tiering worker. Needs <see cref="StorageExtensions.AddMnemoraStorage"/>.</summary>
    public static IServiceCollection AddMemoryStores(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StateStore>();
        services.AddSingleton<ColdEpisodeStore>();
        services.AddSingleton<EpisodeStore>();
        services.AddSingleton<EpisodeTierStore>();
        services.AddSingleton<EpisodeMover>();

        // The tenancy feature registers the real meter; until a host has one, usage is not recorded.
        services.TryAddSingleton<IUsageMeter, UnmeteredUsage>();
        return services;
    }

    private sealed class UnmeteredUsage : IUsageMeter
    {
        public Task RecordAsync(string tenantId, UsageDelta delta, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task TrackAgentAsync(string tenantId, string agentId, string? sessionId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<UsageTotals> GetTotalsAsync(string tenantId, CancellationToken cancellationToken) =>
            Task.FromResult(new UsageTotals(0, 0, 0, 0, 0, 0, 0));
    }
}
