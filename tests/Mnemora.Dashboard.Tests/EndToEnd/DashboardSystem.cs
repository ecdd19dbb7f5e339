using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Mnemora.Testing;

namespace Mnemora.Dashboard.Tests.EndToEnd;

/// <summary>
/// The whole system as the AppHost starts it (process mode), and Debian's Chromium driven by
/// Playwright; started once for the end-to-end tests. The browser is never downloaded.
/// </summary>
public sealed class DashboardSystem : IAsyncLifetime
{
    public const string DashboardPassword = "test-dashboard-password";

    /// <summary>Debian's Chromium, installed by <c>eng/bootstrap.sh</c>; Playwright never downloads a browser here.</summary>
    private const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    private DirectoryInfo? _data;
    private IPlaywright? _playwright;

    public DistributedApplication App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri DashboardUrl { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>Where screenshots go: artifacts/screenshots at the repository root (ignored by git).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        // Checked before the system starts, so a machine without the browser hears what to do, not a launch error.
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests drive Debian's Chromium at {ChromiumPath}, which is not installed: run `bash eng/bootstrap.sh` (it installs the chromium package).");
        }

        _data = MnemoraSystem.CreateDataDirectory("mnemora-dashboard-test-");
        // The AppHost's endpoint proxy (on loopback) plays the load balancer, so a test can speak for a client
        // address and for HTTPS (X-Forwarded-For, X-Forwarded-Proto); the browser sends neither.
        App = await MnemoraSystem.StartWithDashboardAsync(_data.FullName, OperatorKey,
            [
                "--Mnemora:ForwardedHeaders:KnownProxies:0=127.0.0.1",
                "--Mnemora:ForwardedHeaders:KnownProxies:1=::1",
                // A wrong password refills slowly here, so that a slow run cannot earn the throttle test an extra attempt.
                "--Mnemora:SignIn:RefillPeriod=00:05:00",
            ]);
        DashboardUrl = App.GetEndpoint("dashboard", "http");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A fresh browser context (no cookies) with a page on the dashboard.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = DashboardUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 1100 },
        });
        // Every suite runs at once on two cores in CI: a page that calls the API can take longer than
        // Playwright's 5 s to render, so waits and expectations get the same patient bound.
        context.SetDefaultTimeout(20_000);
        Assertions.SetDefaultExpectTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>An HTTP client for the API that sends a tenant's key.</summary>
    public HttpClient CreateTenantClient(string apiKey)
    {
        var client = App.CreateHttpClient("api", "http");
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>An HTTP client for the API that sends the operator key (test setup only; the dashboard holds its own).</summary>
    public HttpClient CreateOperatorClient() => CreateTenantClient(OperatorKey);

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
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

        return AppContext.BaseDirectory;
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardSystemCollection : ICollectionFixture<DashboardSystem>
{
    public const string Name = "Dashboard end-to-end";
}
