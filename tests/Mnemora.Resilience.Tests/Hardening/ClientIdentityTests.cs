using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>
/// The key guard's client is the real one: <c>X-Forwarded-For</c> counts only from a configured proxy
/// (here the AppHost's endpoint proxy on 127.0.0.1 / ::1), never from anyone else, and nothing a third
/// party can also send, such as a key's prefix, lets it spend another client's budget.
/// </summary>
[Collection(HardeningCollection.Name)]
public sealed class ClientIdentityTests(HardeningSystem system)
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The attack: 250 lookups of random keys, each claiming another client.</summary>
    private const int Attempts = 250;

    private static readonly TimeSpan s_snapshotTimeout = TimeSpan.FromSeconds(30);

    private static string UnknownKey(string prefix = "mnm_") => prefix + RandomNumberGenerator.GetString(Base62, 47 - prefix.Length);

    // Documentation range (RFC 5737): forwarded addresses, never connected to.
    private static string ForwardedAddress() => $"198.51.100.{RandomNumberGenerator.GetInt32(1, 255)}";

    // A loopback address of this run's own, not a configured proxy (those are 127.0.0.1 and ::1).
    private static IPAddress UntrustedPeer() =>
        new([127, (byte)RandomNumberGenerator.GetInt32(1, 255), (byte)RandomNumberGenerator.GetInt32(0, 256), (byte)RandomNumberGenerator.GetInt32(2, 255)]);

    [Fact]
    public async Task ForwardedForFromAPeerThatIsNoConfiguredProxyIsIgnoredSoGuessingStillHits429()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var peer = UntrustedPeer();
        using var direct = await ConnectDirectlyAsync(peer, cancellationToken);

        // Every guess names another client; the API must key on the TCP peer regardless.
        var flood = await SendAsync(direct, Enumerable.Range(0, Attempts).Select(i => (Key: UnknownKey(), ForwardedFor: (string?)$"203.0.113.{(i % 250) + 1}")), cancellationToken);
        Report("untrusted peer, varying X-Forwarded-For", flood);

        Assert.Equal(HardeningSystem.ClientKeyBurst, flood.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(Attempts - HardeningSystem.ClientKeyBurst, flood.Count(r => r.Status == HttpStatusCode.TooManyRequests));
        Assert.All(flood.Where(r => r.Status == HttpStatusCode.TooManyRequests), r =>
        {
            Assert.Equal("RATE_LIMITED", r.Code);
            Assert.True(r.RetryAfter >= 1, $"Retry-After {r.RetryAfter}");
        });

        // The refusal is the peer's, not everyone's: another real address still gets its lookups.
        using var other = await ConnectDirectlyAsync(UntrustedPeer(), cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(other, [(UnknownKey(), null)], cancellationToken)).Single().Status);
    }

    [Fact]
    public async Task AConfiguredProxysForwardedForGivesEachClientItsOwnBudget()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var first = ForwardedAddress();
        var second = $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}";
        using var proxy = system.CreateApiClient();

        var firstFlood = await SendAsync(proxy, Enumerable.Range(0, HardeningSystem.ClientKeyBurst + 20).Select(_ => (UnknownKey(), (string?)first)), cancellationToken);
        Assert.Equal(HardeningSystem.ClientKeyBurst, firstFlood.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(20, firstFlood.Count(r => r.Status == HttpStatusCode.TooManyRequests));

        // The proxy's other client has its whole budget: its guesses are looked up (401), not refused.
        var secondTries = await SendAsync(proxy, Enumerable.Range(0, 20).Select(_ => (UnknownKey(), (string?)second)), cancellationToken);
        Assert.All(secondTries, r => Assert.Equal(HttpStatusCode.Unauthorized, r.Status));
    }

    [Fact]
    public async Task GuessesWithAVictimsKeyPrefixDoNotLockTheVictimsValidKeyOut()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // The victim's key has never been used, so its first call needs a store lookup after the attack.
        using var victim = await system.CreateTenantAsync("scale", cancellationToken, forwardedFor: $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}");
        var prefix = victim.ApiKey[..12];

        // Attackers at several addresses guess keys with the victim's display prefix, each until it is refused.
        using var proxy = system.CreateApiClient();
        var attackers = Enumerable.Range(0, 3).Select(_ => $"198.18.{RandomNumberGenerator.GetInt32(0, 256)}.{RandomNumberGenerator.GetInt32(1, 255)}").Distinct().ToList();
        var guesses = attackers.SelectMany(address => Enumerable.Range(0, HardeningSystem.ClientKeyBurst + 10).Select(_ => (UnknownKey(prefix), (string?)address)));
        var attack = await SendAsync(proxy, guesses, cancellationToken);
        Report($"{attackers.Count} attackers guessing at one prefix", attack);
        Assert.Equal(attackers.Count * HardeningSystem.ClientKeyBurst, attack.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(attackers.Count * 10, attack.Count(r => r.Status == HttpStatusCode.TooManyRequests));

        // The victim, from its own address, is served with its valid key.
        await Envelope.ReadDataAsync(await victim.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
    }

    private sealed record Attempt(HttpStatusCode Status, string? Code, long RetryAfter);

    /// <summary>Sends one GET /v1/usage per key, with its X-Forwarded-For when given, eight at a time.</summary>
    private static async Task<IReadOnlyList<Attempt>> SendAsync(HttpClient api, IEnumerable<(string Key, string? ForwardedFor)> attempts, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<Attempt>();
        await Parallel.ForEachAsync(attempts, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (attempt, token) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", attempt.Key);
            if (attempt.ForwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", attempt.ForwardedFor);
            }

            using var response = await api.SendAsync(request, token);
            var body = await response.Content.ReadAsStringAsync(token);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = System.Text.Json.JsonDocument.Parse(body);
            var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? long.Parse(values.Single(), CultureInfo.InvariantCulture) : 0;
            results.Add(new Attempt(response.StatusCode, problem.RootElement.GetProperty("error").GetProperty("code").GetString(), retryAfter));
        });
        return [.. results];
    }

    private static void Report(string attack, IReadOnlyList<Attempt> results) =>
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{attack}: {results.Count} attempts, {results.Count(r => r.Status == HttpStatusCode.Unauthorized)} × 401, {results.Count(r => r.Status == HttpStatusCode.TooManyRequests)} × 429");

    /// <summary>
    /// A client that connects to the API process itself (behind the AppHost's proxy), from <paramref name="source"/>:
    /// the API sees that address as the TCP peer, which is not a configured proxy.
    /// </summary>
    private async Task<HttpClient> ConnectDirectlyAsync(IPAddress source, CancellationToken cancellationToken)
    {
        var target = await ApiTargetAsync(cancellationToken);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = target };
    }

    /// <summary>The address the API process listens on (the proxy's target), from the AppHost's view of the resource.</summary>
    private async Task<Uri> ApiTargetAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_snapshotTimeout);
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        await foreach (var update in notifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name != "api")
            {
                continue;
            }

            var internalUrl = update.Snapshot.Urls.FirstOrDefault(u => u.IsInternal && u.Name == "http")?.Url;
            var listening = internalUrl ?? update.Snapshot.EnvironmentVariables
                .FirstOrDefault(v => v.Name == "ASPNETCORE_URLS" && v.Value is not null)?.Value?.Split(';')[0];
            if (listening is not null)
            {
                return new Uri(listening);
            }
        }

        throw new InvalidOperationException("The API's listening address was not in its resource snapshot.");
    }
}
