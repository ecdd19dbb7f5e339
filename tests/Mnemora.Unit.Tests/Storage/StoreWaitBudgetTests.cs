using System.Net.Sockets;
using Amazon.S3;
using Mnemora.Storage;
using Mnemora.Storage.Aws;

namespace Mnemora.Unit.Tests.Storage;

/// <summary>
/// A store that accepts connections and never answers (a listener nobody accepts from: the kernel completes the
/// handshakes), called through the AWS clients' HTTP client: within a request, the calls that time out spend its
/// budget, and once it is spent the next calls fail without waiting.
/// </summary>
public sealed class StoreWaitBudgetTests
{
    private static readonly TimeSpan s_attempt = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task ARequestWaitsOnASilentStoreAtMostItsAttemptsHoweverManyCallsItMakes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 64);
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/bucket/object");
        using var client = new WholeAnswerHttpClientFactory("s3").CreateHttpClient(new AmazonS3Config { Timeout = s_attempt });

        var refusals = await InOneRequestAsync(client, url, calls: 4);

        // Two attempts' worth of waiting (StoreTimeoutOptions.Attempts), then refused without waiting again.
        Assert.All(refusals.Take(StoreTimeoutOptions.Attempts), refusal => Assert.Contains("did not answer GET", refusal.Message, StringComparison.Ordinal));
        Assert.All(refusals.Skip(StoreTimeoutOptions.Attempts), refusal => Assert.Contains("not waiting on it again", refusal.Message, StringComparison.Ordinal));

        // Outside a request (the tiering worker) there is no budget: each call waits its own timeout.
        for (var call = 0; call < 3; call++)
        {
            var refusal = await Assert.ThrowsAsync<IOException>(() => client.GetAsync(url, TestContext.Current.CancellationToken));
            Assert.Contains("did not answer GET", refusal.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Makes the calls under one fresh budget, as the API does per request; the budget ends with this method.</summary>
    private static async Task<List<IOException>> InOneRequestAsync(HttpClient client, Uri url, int calls)
    {
        StoreWaitBudget.Begin();
        var refusals = new List<IOException>();
        for (var call = 0; call < calls; call++)
        {
            refusals.Add(await Assert.ThrowsAsync<IOException>(() => client.GetAsync(url, TestContext.Current.CancellationToken)));
        }

        return refusals;
    }
}
