using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Packaging;

/// <summary>
/// The packages as they are published, not as project references: <c>dotnet pack</c> makes
/// Mnemora.Client (with its XML docs, README and embedded PDB) and Mnemora.Agents; a fresh console
/// project and the support-agent sample restore them from a local feed and call the running API.
/// The PDB's sources are mapped by SourceLink to the commit of a GitHub repository the package was
/// built from.
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
            foreach (var project in (string[])["Mnemora.Client", "Mnemora.Agents"])
            {
                await DotnetAsync(root, cancellationToken, "pack", Path.Combine(project, $"{project}.csproj"), "--no-build",
                    "--configuration", BuildConfiguration(), "--output", feed, $"-p:PackageVersion={version}");
            }

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
                Assert.NotEmpty(EmbeddedPdb.Read(package, "lib/net10.0/Mnemora.Client.dll").Documents);
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

            // The sample, built against the packages from the feed (its own build output, away from the tree's).
            var sample = Path.Combine(work.FullName, "sample");
            await DotnetAsync(root, cancellationToken, "build", Path.Combine("samples", "SupportAgent", "SupportAgent.csproj"), "--configuration", "Release",
                $"-p:MnemoraPackageVersion={version}", "--artifacts-path", sample, "--source", feed, "--source", "https://api.nuget.org/v3/index.json");
            using (var assets = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(sample, "obj", "SupportAgent", "project.assets.json"), cancellationToken)))
            {
                var libraries = assets.RootElement.GetProperty("libraries");
                Assert.Equal("package", libraries.GetProperty($"Mnemora.Agents/{version}").GetProperty("type").GetString());
                Assert.Equal("package", libraries.GetProperty($"Mnemora.Client/{version}").GetProperty("type").GetString());
            }

            var transcript = await DotnetAsync(work.FullName, cancellationToken, Path.Combine(sample, "bin", "SupportAgent", "release", "SupportAgent.dll"),
                "--api-url", system.ApiUrl.ToString(), "--operator-key", system.OperatorKey);
            Assert.DoesNotContain("✘", transcript, StringComparison.Ordinal);
            Assert.Contains("Dana Whitfield", transcript, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ThePackagesPdbMapsItsSourcesToTheCommitItWasBuiltFrom()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("mnemora-sourcelink-");
        try
        {
            // The client's sources in a repository of their own whose remote is on GitHub, as a release build sees them.
            var repository = work.FullName;
            CopyDirectory(Path.Combine(root, "Mnemora.Client"), Path.Combine(repository, "Mnemora.Client"));
            CopyDirectory(Path.Combine(root, "eng"), Path.Combine(repository, "eng"), "Package.props");
            foreach (var file in (string[])["Directory.Build.props", "Directory.Packages.props", "global.json"])
            {
                File.Copy(Path.Combine(root, file), Path.Combine(repository, file));
            }

            await RunAsync("git", repository, cancellationToken, "init", "--quiet");
            await RunAsync("git", repository, cancellationToken, "remote", "add", "origin", "https://github.com/mnemora/mnemora.git");
            await RunAsync("git", repository, cancellationToken, "add", "--all");
            await RunAsync("git", repository, cancellationToken, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "--quiet", "--message", "release");
            var commit = (await RunAsync("git", repository, cancellationToken, "rev-parse", "HEAD")).Trim();

            var feed = Path.Combine(work.FullName, "feed");
            await DotnetAsync(repository, cancellationToken, "pack", Path.Combine("Mnemora.Client", "Mnemora.Client.csproj"), "--configuration", "Release", "--output", feed,
                "-p:PackageVersion=1.0.0-sourcelink");

            using var package = ZipFile.OpenRead(Path.Combine(feed, "Mnemora.Client.1.0.0-sourcelink.nupkg"));
            var pdb = EmbeddedPdb.Read(package, "lib/net10.0/Mnemora.Client.dll");
            Assert.Equal($$$"""{"documents":{"/_/*":"https://raw.githubusercontent.com/mnemora/mnemora/{{{commit}}}/*"}}""", pdb.SourceLink);
            // Deterministic paths (ContinuousIntegrationBuild, set in CI builds): no path of the build machine.
            Assert.All(pdb.Documents, document => Assert.StartsWith("/_/", document, StringComparison.Ordinal));
            Assert.Contains("/_/Mnemora.Client/MnemoraClient.cs", pdb.Documents);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to, string pattern = "*")
    {
        foreach (var file in Directory.EnumerateFiles(from, pattern, SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static Task<string> DotnetAsync(string directory, CancellationToken cancellationToken, params string[] arguments) =>
        RunAsync("dotnet", directory, cancellationToken, arguments);

    private static async Task<string> RunAsync(string program, string directory, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // A CI build, as a release is: deterministic source paths (eng/Package.props).
        start.Environment["CI"] = "true";
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
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}");
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

    /// <summary>The PDB embedded in a DLL of a package: its source documents and its SourceLink map (null without one).</summary>
    private sealed record EmbeddedPdb(IReadOnlyList<string> Documents, string? SourceLink)
    {
        private static readonly Guid s_sourceLink = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

        public static EmbeddedPdb Read(ZipArchive package, string entry)
        {
            using var dll = new MemoryStream();
            using (var stream = package.GetEntry(entry)!.Open())
            {
                stream.CopyTo(dll);
            }

            dll.Position = 0;
            using var pe = new PEReader(dll);
            var embedded = pe.ReadDebugDirectory().Where(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb).ToList();
            Assert.True(embedded.Count == 1, $"{entry} carries no embedded PDB.");
            using var provider = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded[0]);
            var pdb = provider.GetMetadataReader();
            var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
            var sourceLink = pdb.CustomDebugInformation
                .Select(pdb.GetCustomDebugInformation)
                .Where(c => pdb.GetGuid(c.Kind) == s_sourceLink)
                .Select(c => System.Text.Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value)))
                .SingleOrDefault();
            return new EmbeddedPdb(documents, sourceLink);
        }
    }
}
