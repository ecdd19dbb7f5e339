using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Storage.Usage;

public static class UsageExtensions
{
    /// <summary>The tenants table's stores (part of AddMnemoraStorage): <see cref="TenantStore"/> and the <see cref="IUsageMeter"/> every feature records into.</summary>
    public static IServiceCollection AddMnemoraTenancyStores(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TenantStore>();
        services.TryAddSingleton<CallHistory>();
        services.TryAddSingleton<IUsageMeter, DynamoUsageMeter>();
        return services;
    }
}
