using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Transfer;

internal static class TransferExtensions
{
    /// <summary>Export and import of whole agents and tenants (needs the memory stores and semantic memory).</summary>
    public static IHostApplicationBuilder AddMemoryTransfer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TransferOptions>()
            .BindConfiguration(TransferOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<TenantAgents>();
        builder.Services.AddSingleton<MemoryExporter>();
        builder.Services.AddSingleton<MemoryImporter>();
        return builder;
    }
}
