using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// Cold episodes: gzip-compressed NDJSON objects in S3, one per run of a session's episodes of
/// one day (at most <see cref="MaxBatchEpisodes"/>), each listed by a <see cref="ColdBatch"/> item
/// in the agent's DynamoDB partition. A cold replay of a 1,000-episode session is one index Query
/// and one GET, not a thousand. Every read checks the object's SHA-256 against the one its index
/// item holds (written by the tiering step after it verified the object): damaged data is never served.
/// </summary>
public sealed partial class ColdEpisodeStore(IAmazonDynamoDB dynamo, IAmazonS3 s3, IOptions<StorageOptions> options, ILogger<ColdEpisodeStore> logger)
{
    public const int MaxBatchEpisodes = 1000;
    public const long MaxBatchBytes = 8 * 1024 * 1024;

    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private string Table => options.Value.MemoryTable;

    private string Bucket => options.Value.EpisodesBucket;

    private string? Owner => options.Value.ExpectedBucketOwner;

    /// <summary>
    /// The agent's batches whose first position lies in [<paramref name="firstFrom"/>, <paramref name="firstTo"/>],
    /// in time order (or newest first), paged lazily; by session through the session index when one is given.
    /// </summary>
    public async IAsyncEnumerable<ColdBatch> QueryBatchesAsync(
        string partition,
        string? sessionId,
        string firstFrom,
        string firstTo,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        bool newestFirst = false)
    {
        var prefix = sessionId is null ? MemoryKeys.ColdPrefix : MemoryKeys.SessionColdPrefix(sessionId);
        var request = new QueryRequest
        {
            TableName = Table,
            IndexName = sessionId is null ? null : MemoryKeys.SessionIndex,
            KeyConditionExpression = sessionId is null ? "pk = :pk AND sk BETWEEN :from AND :to" : "pk = :pk AND ssk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":from"] = S(prefix + firstFrom),
                [":to"] = S(prefix + firstTo),
            },
            ConsistentRead = true,
            ScanIndexForward = !newestFirst,
            Limit = 100,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                yield return ColdBatch.FromItem(item);
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    /// <summary>
    /// The episodes of one batch, in time order. The key comes from the caller's tenant and agent and the batch's
    /// validated parts. An object whose length or SHA-256 is not the index item's is a <see cref="StoreIntegrityException"/>.
    /// </summary>
    public async Task<IReadOnlyList<EpisodeRecord>> ReadBatchAsync(string tenantId, string agentId, ColdBatch batch, CancellationToken cancellationToken)
    {
        var episodes = new List<EpisodeRecord>(batch.Count);
        await foreach (var episode in StreamBatchAsync(tenantId, agentId, batch, cancellationToken))
        {
            episodes.Add(episode);
        }

        return episodes;
    }

    /// <summary>
    /// The episodes of one batch, in time order, decompressed one at a time: only the compressed object
    /// (at most <see cref="MaxBatchBytes"/>, verified whole first) is held, never the whole batch's episodes.
    /// </summary>
    public async IAsyncEnumerable<EpisodeRecord> StreamBatchAsync(string tenantId, string agentId, ColdBatch batch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var key = MemoryKeys.ColdObject(tenantId, agentId, batch.SessionId, batch.First);
        var body = await ReadObjectAsync(key, batch.Bytes, cancellationToken);
        if (body is null || !IsWritten(body, batch))
        {
            LogCorruptObject(Bucket, key, batch.Sha256);
            throw new StoreIntegrityException("s3", key, $"The cold object '{key}' does not match the SHA-256 its index item holds.");
        }

        using var stream = new MemoryStream(body, writable: false);
        await foreach (var episode in DeserializeLazilyAsync(stream, cancellationToken))
        {
            // An object is only ever read for the batch that names it; anything else is corruption.
            if (episode.SessionId != batch.SessionId)
            {
                throw new InvalidDataException($"The cold object '{key}' holds an episode of another session.");
            }

            yield return episode;
        }
    }

    /// <summary>Writes a batch's object (overwriting any earlier attempt at the same key), then reads it back and checks its SHA-256.</summary>
    public async Task<ColdBatch> WriteObjectAsync(string tenantId, string agentId, IReadOnlyList<EpisodeRecord> episodes, CancellationToken cancellationToken)
    {
        var first = episodes[0];
        var body = Serialize(episodes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(body));
        var key = MemoryKeys.ColdObject(tenantId, agentId, first.SessionId, first.Position);
        using (var stream = new MemoryStream(body, writable: false))
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = Bucket,
                ExpectedBucketOwner = Owner,
                Key = key,
                InputStream = stream,
                ContentType = "application/x-ndjson",
                UseChunkEncoding = false,
                Metadata = { ["sha256"] = sha },
            }, cancellationToken);
        }

        return new ColdBatch(first.SessionId, first.Position, episodes[^1].Position, episodes.Count, body.Length,
            [.. episodes.Select(e => e.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], sha);
    }

    /// <summary>True when the object in S3 has exactly the bytes that were written (length and SHA-256 of a fresh GET).</summary>
    public async Task<bool> VerifyObjectAsync(string tenantId, string agentId, ColdBatch batch, CancellationToken cancellationToken)
    {
        var key = MemoryKeys.ColdObject(tenantId, agentId, batch.SessionId, batch.First);
        try
        {
            return await ReadObjectAsync(key, batch.Bytes, cancellationToken) is { } body && IsWritten(body, batch);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Makes a verified batch readable. Idempotent: a re-run writes the same item.</summary>
    public Task PutIndexAsync(string partition, ColdBatch batch, CancellationToken cancellationToken) =>
        dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = batch.ToItem(partition) }, cancellationToken);

    /// <summary>Removes a batch's index item; true when this call removed it (so its bytes are uncounted exactly once).</summary>
    public async Task<bool> DeleteIndexAsync(string partition, ColdBatch batch, CancellationToken cancellationToken)
    {
        var response = await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = Table,
            Key = Key(partition, MemoryKeys.Cold(batch.First)),
            ReturnValues = ReturnValue.ALL_OLD,
        }, cancellationToken);
        return response.Attributes is { Count: > 0 };
    }

    /// <summary>Removes a batch's object (a no-op when it is gone).</summary>
    public Task DeleteObjectAsync(string tenantId, string agentId, ColdBatch batch, CancellationToken cancellationToken) =>
        s3.DeleteObjectAsync(new DeleteObjectRequest
        {
            BucketName = Bucket,
            ExpectedBucketOwner = Owner,
            Key = MemoryKeys.ColdObject(tenantId, agentId, batch.SessionId, batch.First),
        }, cancellationToken);

    /// <summary>The object's bytes, or null when it is longer than <paramref name="expectedBytes"/> (read no further: it is not the one written).</summary>
    private async Task<byte[]?> ReadObjectAsync(string key, long expectedBytes, CancellationToken cancellationToken)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, ExpectedBucketOwner = Owner, Key = key }, cancellationToken);
        await using var body = response.ResponseStream;
        using var copy = new MemoryStream((int)Math.Clamp(expectedBytes, 0, MaxBatchBytes));
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (copy.Length + read > expectedBytes)
            {
                return null;
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    private static bool IsWritten(byte[] body, ColdBatch batch) =>
        body.Length == batch.Bytes
        && string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), batch.Sha256, StringComparison.OrdinalIgnoreCase);

    internal static byte[] Serialize(IReadOnlyList<EpisodeRecord> episodes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            foreach (var episode in episodes)
            {
                using (var writer = new Utf8JsonWriter(gzip, s_writerOptions))
                {
                    writer.WriteStartObject();
                    writer.WriteString("id", episode.Id);
                    writer.WriteString("session_id", episode.SessionId);
                    writer.WriteString("type", episode.Type);
                    writer.WriteString("timestamp", episode.Timestamp);
                    writer.WritePropertyName("content");
                    writer.WriteRawValue(episode.ContentJson, skipInputValidation: true);
                    writer.WritePropertyName("metadata");
                    writer.WriteRawValue(episode.MetadataJson, skipInputValidation: true);
                    writer.WriteEndObject();
                }

                gzip.WriteByte((byte)'\n');
            }
        }

        return output.ToArray();
    }

    internal static async Task<IReadOnlyList<EpisodeRecord>> DeserializeAsync(Stream body, CancellationToken cancellationToken)
    {
        var episodes = new List<EpisodeRecord>();
        await foreach (var episode in DeserializeLazilyAsync(body, cancellationToken))
        {
            episodes.Add(episode);
        }

        return episodes;
    }

    private static async IAsyncEnumerable<EpisodeRecord> DeserializeLazilyAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var gzip = new GZipStream(body, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            yield return new EpisodeRecord(
                root.GetProperty("id").GetString()!,
                root.GetProperty("session_id").GetString()!,
                root.GetProperty("type").GetString()!,
                root.GetProperty("content").GetRawText(),
                root.GetProperty("metadata").GetRawText(),
                root.GetProperty("timestamp").GetString()!);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Critical,
        Message = "Integrity incident: the cold object {Bucket}/{Key} does not match its index item's SHA-256 {Sha256}; it is not served")]
    private partial void LogCorruptObject(string bucket, string key, string sha256);
}
