using System.Diagnostics;
using System.Text.Json;

namespace Mnemora.Api.Tests.Foundation;

public sealed class ManifestTests
{
    // The AppHost was built with the tests, in the same configuration.
#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    [Fact]
    public async Task PublishedManifestNamesEveryServiceAndStore()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var output = Directory.CreateTempSubdirectory("mnemora-manifest-");
        try
        {
            var manifestPath = Path.Combine(output.FullName, "manifest.json");
            var appHost = Projects.Mnemora_AppHost.ProjectPath;
            var start = new ProcessStartInfo("dotnet", ["run", "--project", appHost, "--no-build", "--configuration", BuildConfiguration, "--no-launch-profile", "--", "--publisher", "manifest", "--output-path", manifestPath])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Generous: in CI every test project runs at once on two cores, and this one starts a whole AppHost.
            timeout.CancelAfter(TimeSpan.FromMinutes(8));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"Publishing did not finish within 8 minutes: {await stdout}\n{await stderr}");
            }

            Assert.True(process.ExitCode == 0, $"Publishing failed: {await stdout}\n{await stderr}");

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, cancellationToken));
            var resources = manifest.RootElement.GetProperty("resources");
            foreach (var service in (string[])["api", "tiering", "dashboard"])
            {
                Assert.StartsWith("project.v", resources.GetProperty(service).GetProperty("type").GetString(), StringComparison.Ordinal);
            }

            // A published system uses managed stores, given as connection strings.
            foreach (var store in (string[])["postgres", "dynamodb", "s3"])
            {
                Assert.Equal("parameter.v0", resources.GetProperty(store).GetProperty("type").GetString());
                Assert.Contains($"{{{store}.connectionString}}", resources.GetProperty("api").GetProperty("env").GetProperty($"ConnectionStrings__{store}").GetString(), StringComparison.Ordinal);
            }

            foreach (var secret in (string[])["operator-key", "dashboard-password"])
            {
                Assert.True(resources.GetProperty(secret).GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
