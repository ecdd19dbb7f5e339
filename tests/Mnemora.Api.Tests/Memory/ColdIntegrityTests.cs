using System.IO.Compression;
using System.Text;
using Amazon.S3.Model;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Tests.Memory;

/// <summary>A cold object whose bytes are not the ones the tiering step wrote and verified is never served.</summary>
public sealed class ColdIntegrityTests(MnemoraApp system)
{
    private const string Agent = "cold-integrity";

    [Fact]
    public async Task ACorruptedColdObjectIsA503NeverItsContent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        using var host = await MemoryHost.CreateAsync(system.App);
        await EpisodicApi.WriteAsync(tenant.Client, Agent, 3, _ => "s1", ct);
        await host.Mover.MovePartitionAsync(MemoryKeys.Partition(tenant.TenantId, Agent), EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
        var batch = Assert.Single(await host.ColdBatchesAsync(tenant.TenantId, Agent, ct));
        Assert.Equal(3, (await EpisodicApi.ListAsync(tenant.Client, $"/v1/memory/episodic/{Agent}/sessions/s1", ct)).Episodes.Count);

        // A well-formed object of the same session, with other content: only its checksum can tell.
        var key = MemoryKeys.ColdObject(tenant.TenantId, Agent, batch.SessionId, batch.First);
        using (var forged = new MemoryStream(Forged(batch.SessionId, batch.First.Timestamp)))
        {
            await host.S3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = host.Options.EpisodesBucket,
                Key = key,
                InputStream = forged,
                UseChunkEncoding = false,
            }, ct);
        }

        foreach (var path in (string[])[$"/v1/memory/episodic/{Agent}/sessions/s1", $"/v1/memory/episodic/{Agent}?limit=100"])
        {
            await AssertUnavailableAsync(tenant.Client, path, ct);
        }
    }

    private static async Task AssertUnavailableAsync(HttpClient client, string path, CancellationToken ct)
    {
        var response = await client.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.DoesNotContain("forged", body, StringComparison.Ordinal);
        await Envelope.ReadErrorAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
    }

    private static byte[] Forged(string sessionId, string timestamp)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            var line = $$"""{"id":"{{Guid.NewGuid()}}","session_id":"{{sessionId}}","type":"conversation","timestamp":"{{timestamp}}","metadata":{ },"content":"forged"}""";
            gzip.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }

        return output.ToArray();
    }
}
