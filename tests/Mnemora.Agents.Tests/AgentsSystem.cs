using System.Diagnostics;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Testing;

[assembly: AssemblyFixture(typeof(Mnemora.Agents.Tests.AgentsSystem))]

// One AppHost serves the assembly; tests run one at a time to stay light on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Mnemora.Agents.Tests;

/// <summary>The whole system as the AppHost starts it (process mode), once per test assembly, and the SDK registered as an application registers it.</summary>
public sealed class AgentsSystem : IAsyncLifetime
{
    /// <summary>How long episodes stay hot here before the tiering worker (every second) moves them to S3.</summary>
    public static readonly TimeSpan HotRetention = TimeSpan.FromSeconds(20);

    private DirectoryInfo? _data;
    private ServiceProvider? _services;
    private Uri? _apiUrl;

    public DistributedApplication App { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-agents-test-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey,
        [
            "--Mnemora:Tiering:Interval=00:00:01",
            $"--Mnemora:Tiering:HotRetention={HotRetention}",
        ]);
        var apiUrl = _apiUrl = App.GetEndpoint("api", "http");

        var services = new ServiceCollection();
        services.AddMnemoraClient(options => options.BaseAddress = apiUrl);
        services.AddMnemoraOperatorClient(options =>
        {
            options.BaseAddress = apiUrl;
            options.OperatorKey = OperatorKey;
        });
        _services = services.BuildServiceProvider();
    }

    /// <summary>A fresh tenant with a key; <see cref="NewClient"/> makes as many clients (as new processes would) as a test needs.</summary>
    public async Task<string> CreateTenantKeyAsync(CancellationToken cancellationToken)
    {
        var tenantId = $"t-{Guid.NewGuid():N}";
        var admin = _services!.GetRequiredService<MnemoraOperatorClient>();
        await admin.CreateTenantAsync(tenantId, $"Agents {tenantId}", TenantTier.Scale, cancellationToken);
        return (await admin.IssueKeyAsync(tenantId, "agents", cancellationToken)).ApiKey;
    }

    public MnemoraClient NewClient(string apiKey) => _services!.GetRequiredService<IMnemoraClientFactory>().CreateClient(apiKey);

    /// <summary>
    /// Runs one agent turn on a thread in a new OS process (Mnemora.Agents.TurnProcess: an Agent Framework agent
    /// whose history is <see cref="MnemoraChatHistoryProvider"/>, configured from MNEMORA_API_URL and MNEMORA_API_KEY
    /// as an application would be), and returns what its model was shown, one "role: text" per message.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunTurnInNewProcessAsync(string apiKey, string agentId, string threadId, string message, string answer, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Mnemora.Agents.TurnProcess.dll"), agentId, threadId, message, answer })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["MNEMORA_API_URL"] = _apiUrl!.ToString();
        start.Environment["MNEMORA_API_KEY"] = apiKey;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"The turn's process exited with {process.ExitCode}: {await error}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
