using System.Diagnostics;
using System.Text;

namespace Mnemora.Api.Tests.Tiering;

/// <summary>
/// A tiering worker process of the test's own: the real Mnemora.Tiering build, pointed at the
/// running system's DynamoDB and S3 (as in the AppHost, no PostgreSQL), with a retention of
/// seconds and optionally a fault file. The test starts it when the episodes it wrote are old (so one cycle sees them all), lets it kill itself
/// at a step, and starts another, as an orchestrator restarting a crashed worker would.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<WorkerProcess> StartAsync(DistributedApplication app, TimeSpan hotRetention, string? faultFile)
    {
        var project = Path.GetDirectoryName(new Projects.Mnemora_Tiering().ProjectPath)!;
        var assembly = Path.Combine(project, "bin", Configuration, "net10.0", "Mnemora.Tiering.dll");
        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["DOTNET_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__dynamodb"] = await app.GetConnectionStringAsync("dynamodb"),
                ["ConnectionStrings__s3"] = await app.GetConnectionStringAsync("s3"),
                ["Mnemora__Tiering__HotRetention"] = hotRetention.ToString(),
                ["Mnemora__Tiering__Interval"] = "00:00:00.500",
                ["Mnemora__Tiering__FaultFile"] = faultFile ?? "",
            },
        };
        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("The worker did not start."));
    }

    /// <summary>Waits for the process to end by itself; its exit code, or a failed assertion with its output.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"The worker did not exit within {timeout}. Its output:\n{Output}");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
