using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Storage.Usage;

public static class UsageExtensions
{
    /// <summary>
    /// The tenants table's stores (part of AddMnemoraStorage): <see cref="TenantStore"/>, <see cref="ApiKeyStore"/>,
    /// <see cref="CallCounters"/>, <see cref="TenantAgents"/>, the audit log and the <see cref="IUsageMeter"/> every feature records into.
    /// </summary>
    public static IServiceCollection AddMnemoraTenancyStores(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TenantStore>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<CallCounters>();
        services.TryAddSingleton<CallHistory>();
        services.TryAddSingleton<TenantAgents>();
        services.TryAddSingleton<Audit.AuditLog>();
        services.TryAddSingleton<DynamoUsageMeter>();
        services.TryAddSingleton<IUsageMeter>(provider => provider.GetRequiredService<DynamoUsageMeter>());
        // Reported-only counters are written in batches: every second and when the host stops.
        services.AddHostedService<UsageCounterFlush>();
        return services;
    }
}
