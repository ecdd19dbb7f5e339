using System.Net.Sockets;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Mcp;

namespace Mnemora.Api.Tests.Tenancy;

/// <summary>
/// A tenant's calls whose work grows with its data (pages, replays, summaries, exports) take one of its places in the
/// replica's heavy-call share (one here: the test system sets <c>Mnemora:HeavyCalls:PerTenant=1</c>). While tenant A's
/// export holds its place, A's next page, A's summary (by route and over MCP), A's session replay over MCP and the
/// operator's export of A wait for it, and tenant B's page and the operator's export of B are answered at once.
/// </summary>
public sealed class HeavyCallShareTests(MnemoraApp system)
{
    private const int Episodes = 24;
    private const int ContentCharacters = 398_000;

    [Fact]
    public async Task WhileATenantsExportIsStreamingItsOtherHeavyCallsWaitAndAnotherTenantsAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("scale", ct);
        using var b = await system.CreateTenantAsync("scale", ct);
        await using var mcpA = await system.ConnectAsync(a.ApiKey, ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, Episodes), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var content = new string((char)('a' + (i % 26)), ContentCharacters);
            await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "big", session_id = "s", type = "observation", content }, token), HttpStatusCode.Created);
        });
        await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "small", session_id = "s", type = "observation", content = "hello" }, ct), HttpStatusCode.Created);

        // A's export of ~10 MB goes to a client with a 4 KB socket buffer that reads 4 KB every 100 ms (well above
        // Kestrel's minimum data rate): the export stays in flight, holding A's place, until the test lets it finish.
        using var slowClient = SlowReadingClient(a.ApiKey);
        using var export = await slowClient.GetAsync("/v1/memory/big/export", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exportEnded = false;
        var reading = Task.Run(async () =>
        {
            await using var body = await export.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[4096];
            var total = 0L;
            while (!release.Task.IsCompleted)
            {
                var n = await body.ReadAsync(buffer, ct);
                if (n == 0)
                {
                    Volatile.Write(ref exportEnded, true);
                    return total;
                }

                total += n;
                await Task.WhenAny(release.Task, Task.Delay(100, ct));
            }

            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
            }

            return total;
        }, ct);

        using var operatorClient = system.CreateOperatorClient();
        var aPage = a.Client.GetAsync("/v1/memory/episodic/big?limit=1", ct);
        var aReplay = mcpA.CallAsync("replay_session", """{"agent_id": "big", "session_id": "s"}""", ct);
        var aSummary = a.Client.PostAsJsonAsync("/v1/memory/episodic/big/summarize", new { session_id = "s", num_episodes = 1 }, ct);
        var aMcpSummary = mcpA.CallAsync("summarize_session", """{"agent_id": "big", "session_id": "s"}""", ct);
        var aOperatorExport = operatorClient.GetAsync($"/admin/v1/tenants/{a.TenantId}/export", ct);
        using (var bPage = await b.Client.GetAsync("/v1/memory/episodic/small?limit=1", ct))
        {
            Assert.Equal(1, (await Envelope.ReadDataAsync(bPage, HttpStatusCode.OK)).GetProperty("episodes").GetArrayLength());
        }

        using (var bOperatorExport = await operatorClient.GetAsync($"/admin/v1/tenants/{b.TenantId}/export", ct))
        {
            Assert.Equal(HttpStatusCode.OK, bOperatorExport.StatusCode);
            Assert.Contains("hello", await bOperatorExport.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // None of A's other heavy calls is answered while its export holds A's only place (without the share they are
        // answered at once).
        var heldFor = Task.Delay(TimeSpan.FromSeconds(10), ct);
        Assert.Same(heldFor, await Task.WhenAny(aPage, aReplay, aSummary, aMcpSummary, aOperatorExport, heldFor));
        Assert.False(Volatile.Read(ref exportEnded), "The export ended by itself, so it did not hold the place throughout.");

        release.SetResult();
        var exported = await reading;
        Assert.True(exported > (long)Episodes * ContentCharacters, $"The export was cut short: {exported} bytes.");
        using var answered = await aPage;
        Assert.Equal(1, (await Envelope.ReadDataAsync(answered, HttpStatusCode.OK)).GetProperty("episodes").GetArrayLength());
        Assert.NotEqual(0, (await aReplay).Data().GetProperty("episodes").GetArrayLength());
        // Whichever summary comes second finds the first and is merged into it (200).
        using var summary = await aSummary;
        Assert.Contains(summary.StatusCode, (HttpStatusCode[])[HttpStatusCode.Created, HttpStatusCode.OK]);
        Assert.Equal("episodic_summaries", (await aMcpSummary).Data().GetProperty("namespace").GetString());
        using var operatorExport = await aOperatorExport;
        Assert.Equal(HttpStatusCode.OK, operatorExport.StatusCode);
        Assert.True((await operatorExport.Content.ReadAsByteArrayAsync(ct)).Length > (long)Episodes * ContentCharacters, "The operator's export of A was cut short.");
    }

    /// <summary>A client whose socket receive buffer is 4 KB, so the server can send only as fast as the test reads.</summary>
    private HttpClient SlowReadingClient(string apiKey)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = system.App.GetEndpoint("api", "http"), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }
}
