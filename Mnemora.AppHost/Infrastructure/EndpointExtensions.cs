namespace Mnemora.AppHost.Infrastructure;

internal static class EndpointExtensions
{
    /// <summary>Overrides the port of the project's launch profile (5080 for the API, 5090 for the dashboard) when one is configured.</summary>
    public static IResourceBuilder<ProjectResource> WithFixedPort(this IResourceBuilder<ProjectResource> project, string? port)
    {
        if (string.IsNullOrWhiteSpace(port))
        {
            return project;
        }

        if (!int.TryParse(port, out var value) || value is < 1 or > 65535)
        {
            throw new InvalidOperationException($"The port '{port}' configured for '{project.Resource.Name}' is not a valid port.");
        }

        return project.WithEndpoint("http", endpoint => endpoint.Port = value);
    }
}
