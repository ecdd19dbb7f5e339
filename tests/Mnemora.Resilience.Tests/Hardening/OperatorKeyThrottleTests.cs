using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>Guessing the operator key on <c>/admin/v1</c> is throttled per client: 429 in the envelope, with <c>Retry-After</c>.</summary>
[Collection(HardeningCollection.Name)]
public sealed class OperatorKeyThrottleTests(HardeningSystem system)
{
    /// <summary>The attack: 60 wrong operator keys.</summary>
    private const int Attempts = 60;

    private static string Client() => $"192.0.2.{RandomNumberGenerator.GetInt32(1, 255)}";

    private static string WrongOperatorKey() => "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    [Fact]
    public async Task WrongOperatorKeysAreRefusedWith429AfterTheClientsBudgetWhileTheOperatorElsewhereIsServed()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var guesser = Client();
        using var api = system.CreateApiClient(forwardedFor: guesser);

        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Attempts), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (_, token) =>
        {
            using var response = await SendAsync(api, WrongOperatorKey(), token);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Envelope.ReadErrorAsync(response, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
                var retryAfter = long.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
                Assert.True(retryAfter >= 1, $"Retry-After {retryAfter}");
            }
            else
            {
                await Envelope.ReadErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            }
        });
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Attempts} wrong operator keys: {statuses.Count(s => s == HttpStatusCode.Unauthorized)} × 401, {statuses.Count(s => s == HttpStatusCode.TooManyRequests)} × 429");

        Assert.Equal(HardeningSystem.OperatorKeyBurst, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(Attempts - HardeningSystem.OperatorKeyBurst, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Refused before the comparison: from the throttled client the right key is refused too, so a guess that hits tells nothing.
        using (var right = await SendAsync(api, system.OperatorKey, cancellationToken))
        {
            await Envelope.ReadErrorAsync(right, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        }

        // The operator at another address is served.
        using var operatorElsewhere = system.CreateApiClient(forwardedFor: $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}");
        using (var served = await SendAsync(operatorElsewhere, system.OperatorKey, cancellationToken))
        {
            await Envelope.ReadDataAsync(served, HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task TheRightOperatorKeyAndTenantKeysSpendNothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = Client();
        using var tenant = await system.CreateTenantAsync("free", cancellationToken, forwardedFor: client);
        using var api = system.CreateApiClient(forwardedFor: client);

        // Twice the budget of right operator keys and of a tenant's key (403 on /admin) from one client: none is a guess.
        for (var i = 0; i < 2 * HardeningSystem.OperatorKeyBurst; i++)
        {
            using var right = await SendAsync(api, system.OperatorKey, cancellationToken);
            await Envelope.ReadDataAsync(right, HttpStatusCode.OK);
            using var tenantKey = await SendAsync(api, tenant.ApiKey, cancellationToken);
            await Envelope.ReadErrorAsync(tenantKey, HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        // The client's whole budget of wrong keys is still there.
        for (var i = 0; i < HardeningSystem.OperatorKeyBurst; i++)
        {
            using var wrong = await SendAsync(api, WrongOperatorKey(), cancellationToken);
            await Envelope.ReadErrorAsync(wrong, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using var refused = await SendAsync(api, WrongOperatorKey(), cancellationToken);
        await Envelope.ReadErrorAsync(refused, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient api, string key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await api.SendAsync(request, cancellationToken);
    }
}
