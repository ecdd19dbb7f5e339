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
        builder.Services.AddSingleton<TieringStatus>();
        builder.Services.AddHostedService<TieringWorker>();
        builder.Services.AddHealthChecks().AddCheck<TieringHealthCheck>("tiering");
        return builder;
    }
}
