using Mnemora.Storage.Memory;

namespace Mnemora.Tiering;

internal static class TieringExtensions
{
    public static IHostApplicationBuilder AddTiering(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TieringOptions>()
            .BindConfiguration(TieringOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMemoryStores();
        builder.Services.AddSingleton<TieringStatus>();
        builder.Services.AddHostedService<TieringWorker>();
        builder.Services.AddHealthChecks().AddCheck<TieringHealthCheck>("tiering");
        return builder;
    }
}
