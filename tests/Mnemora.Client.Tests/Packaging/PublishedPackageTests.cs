using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Packaging;

/// <summary>
/// The client as it is published, not as a project reference: <c>dotnet pack</c> makes the package
/// (with its XML docs and README), a fresh console project restores it from a local feed, and that
/// program calls the running API with a tenant's key.
/// </summary>
public sealed class PublishedPackageTests(MnemoraApp system)
{
    private static readonly TimeSpan s_step = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ThePackedClientRestoresFromAFeedAndTalksToTheApi()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("mnemora-package-");
        try
        {
            // A version of its own, so that no earlier run's package in the NuGet cache stands in for this one.
            var version = "1.0.0-test." + Guid.NewGuid().ToString("N")[..12];
            var feed = Path.Combine(work.FullName, "feed");
            await DotnetAsync(root, cancellationToken, "pack", Path.Combine("Mnemora.Client", "Mnemora.Client.csproj"), "--no-build",
                "--configuration", BuildConfiguration(), "--output", feed, $"-p:PackageVersion={version}");

            using (var package = ZipFile.OpenRead(Path.Combine(feed, $"Mnemora.Client.{version}.nupkg")))
            {
                var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
                Assert.Contains("lib/net10.0/Mnemora.Client.dll", entries);
                Assert.Contains("lib/net10.0/Mnemora.Client.xml", entries);
                Assert.Contains("README.md", entries);
                using var nuspecStream = package.GetEntry("Mnemora.Client.nuspec")!.Open();
                var nuspec = XDocument.Load(nuspecStream);
                Assert.Equal("README.md", nuspec.Descendants().Single(e => e.Name.LocalName == "readme").Value);
                Assert.Contains(nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"), d => d.Attribute("id")?.Value == "Microsoft.Extensions.Http.Resilience");
            }

            // A program outside the repository (none of its build settings), restoring the package from the feed.
            var consumer = Directory.CreateDirectory(Path.Combine(work.FullName, "consumer")).FullName;
            await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Mnemora.Client" Version="{version}" />
                  </ItemGroup>
                </Project>
                """, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
                using Microsoft.Extensions.DependencyInjection;
                using Mnemora.Client;

                var services = new ServiceCollection();
                services.AddMnemoraClient(o => { o.BaseAddress = new Uri(args[0]); o.ApiKey = args[1]; });
                await using var provider = services.BuildServiceProvider();
                var client = provider.GetRequiredService<MnemoraClient>();

                var memory = await client.StoreMemoryAsync("packaged-agent", "The package restores from a feed.");
                var found = await client.SearchMemoryAsync("restores from a feed", agentId: "packaged-agent");
                var usage = await client.GetUsageAsync();
                Console.WriteLine($"stored {memory.Id}; found {found.Count}; calls today {usage.ApiCallsToday}");
                try
                {
                    await client.GetMemoryAsync(Guid.NewGuid());
                }
                catch (NotFoundException missing)
                {
                    Console.WriteLine($"missing: {missing.Code}");
                }
                """, cancellationToken);

            var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
            var output = await DotnetAsync(consumer, cancellationToken, "run", "--", system.ApiUrl.ToString(), tenant.ApiKey);

            Assert.Matches(@"stored [0-9a-f-]{36}; found 1; calls today \d+", output);
            Assert.Contains("missing: NOT_FOUND", output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<string> DotnetAsync(string directory, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_step);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}");
        return output;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mnemora.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Mnemora.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The configuration these tests were built in (bin/Release/… in CI): the client was built in it too.</summary>
    private static string BuildConfiguration() =>
        AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).Contains("Release", StringComparer.Ordinal) ? "Release" : "Debug";
}
