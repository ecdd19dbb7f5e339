using System.Diagnostics;

namespace Mnemora.AppHost.Infrastructure;

/// <summary>Where the three stores come from; chosen by <c>Mnemora:Infrastructure</c>.</summary>
internal enum InfrastructureMode
{
    /// <summary>pgvector and LocalStack images, through a container engine.</summary>
    Containers,

    /// <summary>The machine's PostgreSQL with pgvector, and the npm emulators dynalite and s3rver.</summary>
    Processes,

    /// <summary>Managed services (Aurora/RDS, DynamoDB, S3) given as connection strings: what a published manifest uses.</summary>
    External,
}

internal static class InfrastructureModes
{
    public const string ConfigurationKey = "Mnemora:Infrastructure";

    public static InfrastructureMode Resolve(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[ConfigurationKey]?.Trim().ToLowerInvariant();
        return configured switch
        {
            "containers" => InfrastructureMode.Containers,
            "processes" => InfrastructureMode.Processes,
            "external" => InfrastructureMode.External,
            null or "" or "auto" => builder.ExecutionContext.IsPublishMode ? InfrastructureMode.External
                : ContainerEngineAnswers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker") ? InfrastructureMode.Containers
                : InfrastructureMode.Processes,
            _ => throw new InvalidOperationException(
                $"'{ConfigurationKey}' is '{configured}'; expected auto, containers, processes or external."),
        };
    }

    private static bool ContainerEngineAnswers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
