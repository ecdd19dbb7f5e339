using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Mnemora.Dashboard.Tests.EndToEnd;

/// <summary>
/// The sign-in form as an attacker or a proxy sends it, over HTTP: wrong passwords throttled per client,
/// the session cookie Secure over HTTPS, and every service running in Production from the AppHost.
/// </summary>
[Collection(DashboardSystemCollection.Name)]
public sealed partial class SignInHardeningTests(DashboardSystem system)
{
    /// <summary>The attack: 40 wrong passwords.</summary>
    private const int Attempts = 40;

    /// <summary>Wrong passwords one client may send (the default of <c>Mnemora:SignIn:AttemptBurst</c>).</summary>
    private const int AttemptBurst = 10;

    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;

    // Documentation range (RFC 5737): a client address the trusted proxy forwards.
    private static string Client() => $"198.51.100.{RandomNumberGenerator.GetInt32(1, 255)}";

    [Fact]
    public async Task WrongPasswordsFromOneClientAreThrottledWith429AndAMessageWhileOtherClientsSignIn()
    {
        var attacker = Client();
        var answers = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < Attempts; i++)
            {
                answers.Add(await PostSignInAsync($"wrong-password-{i}", attacker));
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{Attempts} wrong passwords: {answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized)} × 401, {answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests)} × 429");
            Assert.Equal(AttemptBurst, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
            Assert.Equal(Attempts - AttemptBurst, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));

            var refused = answers.Last();
            var retryAfter = long.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.True(retryAfter >= 1, $"Retry-After {retryAfter}");
            var page = await refused.Content.ReadAsStringAsync(Cancelled);
            Assert.Contains("Too many sign-in attempts from this address", page, StringComparison.Ordinal);
            Assert.Contains($"Try again in {retryAfter} seconds", page, StringComparison.Ordinal);
        }
        finally
        {
            answers.ForEach(a => a.Dispose());
        }

        // Throttled before the password is compared: the right one is refused too, and opens no session.
        using (var right = await PostSignInAsync(DashboardSystem.DashboardPassword, attacker))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
            Assert.Null(SessionCookie(right));
        }

        // Another client signs in.
        using var other = await PostSignInAsync(DashboardSystem.DashboardPassword, $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}");
        Assert.NotNull(SessionCookie(other));
    }

    [Fact]
    public async Task TheSessionCookieIsSecureWhenTheRequestIsHttps()
    {
        using var overHttps = await PostSignInAsync(DashboardSystem.DashboardPassword, Client(), forwardedProto: "https");
        var secure = SessionCookie(overHttps);
        Assert.NotNull(secure);
        Assert.Contains("; secure", secure, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", secure, StringComparison.OrdinalIgnoreCase);

        // Plain HTTP (a fresh machine without a development certificate) still works, without the flag.
        using var overHttp = await PostSignInAsync(DashboardSystem.DashboardPassword, Client());
        var plain = SessionCookie(overHttp);
        Assert.NotNull(plain);
        Assert.DoesNotContain("; secure", plain, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task EveryServiceRunsInProductionFromTheAppHost()
    {
        foreach (var service in new[] { "api", "tiering", "dashboard" })
        {
            var environment = await EnvironmentAsync(service);
            Assert.Equal("Production", environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT"));
            Assert.Equal("Production", environment.GetValueOrDefault("DOTNET_ENVIRONMENT"));
        }

        // In Production the dashboard still serves its own and its packages' static assets.
        using var dashboard = CreateDashboardClient();
        foreach (var asset in new[] { "/_content/Microsoft.FluentUI.AspNetCore.Components/Microsoft.FluentUI.AspNetCore.Components.bundle.scp.css", "/_framework/blazor.web.js" })
        {
            using var response = await dashboard.GetAsync(asset, Cancelled);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
        }
    }

    /// <summary>Fetches the sign-in form (for its antiforgery token and cookie), then posts the password as the client.</summary>
    private async Task<HttpResponseMessage> PostSignInAsync(string password, string client, string? forwardedProto = null)
    {
        using var http = CreateDashboardClient();
        using var form = new HttpRequestMessage(HttpMethod.Get, "/signin");
        Forward(form, client, forwardedProto);
        using var formResponse = await http.SendAsync(form, Cancelled);
        Assert.Equal(HttpStatusCode.OK, formResponse.StatusCode);
        var html = await formResponse.Content.ReadAsStringAsync(Cancelled);
        var token = AntiforgeryToken().Match(html);
        Assert.True(token.Success, "No antiforgery token in the sign-in form.");
        var cookies = formResponse.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(c => c.Split(';')[0]) : [];

        var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin",
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups["token"].Value),
                ["Input.Password"] = password,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", cookies));
        Forward(post, client, forwardedProto);
        return await http.SendAsync(post, Cancelled);
    }

    private HttpClient CreateDashboardClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = system.DashboardUrl };

    private static void Forward(HttpRequestMessage request, string client, string? forwardedProto)
    {
        request.Headers.Add("X-Forwarded-For", client);
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }
    }

    private static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.FirstOrDefault(c => c.StartsWith("mnemora-dashboard=", StringComparison.Ordinal) && !c.StartsWith("mnemora-dashboard=;", StringComparison.Ordinal))
            : null;

    /// <summary>The environment the AppHost gave the service's process.</summary>
    private async Task<Dictionary<string, string?>> EnvironmentAsync(string resource)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancelled);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        await foreach (var update in notifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name == resource && update.Snapshot.EnvironmentVariables.Length > 0)
            {
                return update.Snapshot.EnvironmentVariables
                    .Where(v => v.IsFromSpec)
                    .GroupBy(v => v.Name, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            }
        }

        throw new InvalidOperationException($"No environment in the snapshot of {resource}.");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
