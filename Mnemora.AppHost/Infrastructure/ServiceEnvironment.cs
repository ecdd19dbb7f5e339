using Microsoft.Extensions.Hosting;

namespace Mnemora.AppHost.Infrastructure;

internal static class ServiceEnvironment
{
    /// <summary>The services' hosting environment; Production unless asked (<c>--Mnemora:ServiceEnvironment=Development</c>).</summary>
    public const string SettingName = "Mnemora:ServiceEnvironment";

    /// <summary>
    /// Runs every service project in Production (no developer error page, no development-only settings),
    /// overriding the Development that their launch profiles and the AppHost's own environment would pass on.
    /// </summary>
    public static IDistributedApplicationBuilder WithServiceEnvironment(this IDistributedApplicationBuilder builder)
    {
        var environment = builder.Configuration[SettingName] is { Length: > 0 } configured ? configured : Environments.Production;
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", environment)
                .WithEnvironment("DOTNET_ENVIRONMENT", environment);
        }

        return builder;
    }
}
