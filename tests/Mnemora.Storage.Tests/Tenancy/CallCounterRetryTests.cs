using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Tests.Infrastructure;

namespace Mnemora.Storage.Tests.Tenancy;

/// <summary>
/// The daily counter under the SDK's re-sends: when an attempt's answer is lost the SDK sends the same write
/// again, though the first may have landed. Here every counter write reaches the store twice and only the
/// second answer is read, so a write that is not idempotent counts twice.
/// </summary>
public sealed class CallCounterRetryTests(StoreSystem system)
{
    [Fact]
    public async Task ACounterWriteThatLandsTwiceCountsOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StoreHost.CreateAsync(system.App, ct);
        var settings = await StoreHost.SettingsAsync(system.App);
        var connection = StoreConnectionString.Parse("dynamodb", settings["ConnectionStrings:dynamodb"]);
        var twice = new SendTwiceFactory();
        using var dynamo = new AmazonDynamoDBClient(
            new BasicAWSCredentials(connection.AccessKey ?? "test", connection.SecretKey ?? "test"),
            new AmazonDynamoDBConfig { ServiceURL = connection.Endpoint!.ToString(), AuthenticationRegion = connection.Region, HttpClientFactory = twice });
        var counters = new CallCounters(dynamo, host.Services.GetRequiredService<IOptions<StorageOptions>>());
        var witness = host.Services.GetRequiredService<CallCounters>();
        var tenant = $"t-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;

        var first = await counters.TryCountCallsAsync(tenant, now, dailyLimit: 20, calls: 7, ct);
        var second = await counters.TryCountCallsAsync(tenant, now, dailyLimit: 20, calls: 3, ct);
        await counters.ReturnCallsAsync(tenant, now, 2, ct);
        var pastTheLimit = await counters.TryCountCallsAsync(tenant, now, dailyLimit: 20, calls: 13, ct);

        Assert.Equal(4, twice.Doubled);
        Assert.Equal(new CallCount(true, 7), first);
        Assert.Equal(new CallCount(true, 10), second);
        Assert.False(pastTheLimit.Allowed);
        Assert.Equal(8, (await witness.GetCallsAsync(tenant, now, ct)).Today);
    }

    /// <summary>An HTTP client whose handler sends each UpdateItem twice and answers with the second reply.</summary>
    private sealed class SendTwiceFactory : HttpClientFactory
    {
        private int _doubled;

        public int Doubled => Volatile.Read(ref _doubled);

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new SendTwice(this));

        private sealed class SendTwice(SendTwiceFactory owner) : DelegatingHandler(new SocketsHttpHandler())
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (!request.Headers.TryGetValues("X-Amz-Target", out var target) || !target.Single().EndsWith(".UpdateItem", StringComparison.Ordinal))
                {
                    return await base.SendAsync(request, cancellationToken);
                }

                var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
                using (await base.SendAsync(Copy(request, body), cancellationToken))
                {
                    // The first answer is lost, as when an attempt times out after the store applied it.
                }

                Interlocked.Increment(ref owner._doubled);
                return await base.SendAsync(Copy(request, body), cancellationToken);
            }

            private static HttpRequestMessage Copy(HttpRequestMessage request, byte[] body)
            {
                var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, Content = new ByteArrayContent(body) };
                foreach (var header in request.Headers)
                {
                    copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                foreach (var header in request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                {
                    copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                return copy;
            }
        }
    }
}
