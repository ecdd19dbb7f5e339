using Microsoft.Extensions.Configuration;

namespace Mnemora.AppHost.Infrastructure;

internal static class ConfigurationExtensions
{
    /// <summary>
    /// Passes a section of the AppHost's configuration (e.g. <c>Mnemora:Tiering</c>, set on its
    /// command line or in user secrets) to the service as environment variables.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithConfigurationSection(this IResourceBuilder<ProjectResource> project, IConfiguration configuration, string section)
    {
        foreach (var (key, value) in configuration.GetSection(section).AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                project.WithEnvironment($"{section}:{key}".Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return project;
    }
}
