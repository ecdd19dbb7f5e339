using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>
/// Key guessing is refused per client before it costs a store lookup. The proof
/// that refused attempts never reach the store: with DynamoDB stopped, a lookup could only answer
/// 503, yet the refused client keeps getting a quick 429.
/// </summary>
[Collection(HardeningCollection.Name)]
public sealed class KeyBruteForceTests(HardeningSystem system)
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static string UnknownKey(string prefix = "mnm_") => prefix + RandomNumberGenerator.GetString(Base62, 47 - prefix.Length);

    // Documentation ranges (RFC 5737), one address per test run, as a trusted proxy forwards them.
    private static string Address(int network) => $"{(network == 1 ? "198.51.100" : "203.0.113")}.{RandomNumberGenerator.GetInt32(1, 255)}";

    [Fact]
    public async Task AFloodOfWrongKeysIsRefusedAfterTheClientsBudgetAndNeverReachesTheStoreWhileAnotherClientsKeyWorks()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var attacker = $"198.51.100.{RandomNumberGenerator.GetInt32(1, 255)}";
        var neighbour = $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}";
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken, forwardedFor: neighbour);

        var flood = await SendAsync(attacker, Enumerable.Range(0, HardeningSystem.ClientKeyBurst + 40).Select(_ => UnknownKey()), cancellationToken);

        // Exactly the client's budget was looked up (and found nothing); the rest were refused.
        Assert.Equal(HardeningSystem.ClientKeyBurst, flood.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(40, flood.Count(r => r.Status == HttpStatusCode.TooManyRequests));
        foreach (var refusal in flood.Where(r => r.Status == HttpStatusCode.TooManyRequests).Take(5))
        {
            Assert.Equal("RATE_LIMITED", refusal.Code);
            Assert.True(refusal.RetryAfter >= 1, $"Retry-After {refusal.RetryAfter}");
        }

        // Another client with a real key is served, during and after the flood.
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        // With DynamoDB (the key store) stopped, a lookup could only fail with 503: the refused client gets 429 at once.
        await system.StopAsync("dynamodb", cancellationToken);
        try
        {
            await system.WaitForStoreAsync("dynamodb", up: false, cancellationToken);
            // 429 and not 503 shows no refusal waited on the store (how fast is for the benchmarks to say).
            var whileDown = await SendAsync(attacker, Enumerable.Range(0, 30).Select(_ => UnknownKey()), cancellationToken);
            Assert.All(whileDown, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.Status));

            // The same flood from a client with budget left does reach the store, and says so: the proof can fail.
            var fresh = await SendAsync(Address(1), [UnknownKey()], cancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, fresh.Single().Status);
        }
        finally
        {
            await system.StartAsync("dynamodb", cancellationToken);
            await system.WaitForStoreAsync("dynamodb", up: true, cancellationToken);
        }

        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
    }

    private sealed record Attempt(HttpStatusCode Status, string? Code, long RetryAfter);

    /// <summary>Sends one GET /v1/usage per key from the client address, eight at a time.</summary>
    private async Task<IReadOnlyList<Attempt>> SendAsync(string client, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        using var api = system.CreateApiClient(forwardedFor: client);
        var results = new ConcurrentBag<Attempt>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, token) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await api.SendAsync(request, token);
            var body = await response.Content.ReadAsStringAsync(token);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = System.Text.Json.JsonDocument.Parse(body);
            var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? long.Parse(values.Single(), CultureInfo.InvariantCulture) : 0;
            results.Add(new Attempt(response.StatusCode, problem.RootElement.GetProperty("error").GetProperty("code").GetString(), retryAfter));
        });
        return [.. results];
    }
}
