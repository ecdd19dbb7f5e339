using System.Text;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Memory;

/// <summary>The steps of moving one batch, in order; a crash after any of them loses and duplicates nothing.</summary>
public enum TieringStep
{
    /// <summary>The object is in S3; nothing points to it yet (a re-run overwrites it: same key).</summary>
    ObjectWritten,

    /// <summary>The object was read back and its SHA-256 matched.</summary>
    ObjectVerified,

    /// <summary>The batch's index item exists: its episodes are readable from S3 (and still from DynamoDB; reads keep one).</summary>
    IndexWritten,

    /// <summary>The first chunk of the batch's hot items is deleted, the rest not yet.</summary>
    HotPartlyDeleted,
}

/// <summary>
/// Moves one agent partition's old episodes to S3: per (UTC day, session) run, write the object,
/// verify it, write its index item, and only then delete the hot items. Every step is idempotent:
/// object keys are deterministic, the index item is re-put identically, deletes of missing items
/// are no-ops, and hot episodes that a verified batch already holds (a crash mid-delete) are
/// deleted without being written again.
/// </summary>
public sealed class EpisodeMover(EpisodeTierStore tier, ColdEpisodeStore cold, IUsageMeter usage)
{
    /// <summary>Moves every hot episode at or before <paramref name="cutoff"/> (a position bound, e.g. <c>{timestamp}#~</c>); returns how many moved.</summary>
    public async Task<int> MovePartitionAsync(string partition, string cutoff, Func<TieringStep, CancellationToken, ValueTask>? onStep, CancellationToken cancellationToken)
    {
        if (!MemoryKeys.TryParsePartition(partition, out var tenantId, out var agentId))
        {
            return 0;
        }

        var moved = 0;
        await foreach (var page in tier.OldEpisodesAsync(partition, cutoff, cancellationToken))
        {
            foreach (var run in page.GroupBy(e => (e.Episode.Day(), e.Episode.SessionId)))
            {
                var episodes = run.ToList();
                var covered = await CoveredIdsAsync(tenantId, agentId, partition, episodes, cancellationToken);
                await DeleteAsync(tenantId, partition, [.. episodes.Where(e => covered.Contains(e.Episode.Id))], null, cancellationToken);
                foreach (var batch in Batches(episodes.Where(e => !covered.Contains(e.Episode.Id))))
                {
                    await MoveBatchAsync(tenantId, agentId, partition, batch, onStep, cancellationToken);
                    moved += batch.Count;
                }
            }
        }

        return moved;
    }

    private async Task MoveBatchAsync(string tenantId, string agentId, string partition, IReadOnlyList<HotEpisode> batch, Func<TieringStep, CancellationToken, ValueTask>? onStep, CancellationToken cancellationToken)
    {
        var written = await cold.WriteObjectAsync(tenantId, agentId, [.. batch.Select(e => e.Episode)], cancellationToken);
        await Step(onStep, TieringStep.ObjectWritten, cancellationToken);

        if (!await cold.VerifyObjectAsync(tenantId, agentId, written, cancellationToken))
        {
            throw new InvalidDataException($"The cold object of {written} did not read back as written; its episodes stay hot.");
        }

        await Step(onStep, TieringStep.ObjectVerified, cancellationToken);

        await cold.PutIndexAsync(partition, written, cancellationToken);
        await usage.RecordAsync(tenantId, new UsageDelta(S3Bytes: written.Bytes), cancellationToken);
        await Step(onStep, TieringStep.IndexWritten, cancellationToken);

        await DeleteAsync(tenantId, partition, batch, onStep, cancellationToken);
    }

    private async Task DeleteAsync(string tenantId, string partition, IReadOnlyList<HotEpisode> episodes, Func<TieringStep, CancellationToken, ValueTask>? onStep, CancellationToken cancellationToken)
    {
        if (episodes.Count == 0)
        {
            return;
        }

        foreach (var chunk in episodes.Chunk(EpisodeTierStore.DeleteChunk))
        {
            await tier.DeleteHotAsync(partition, [.. chunk.Select(e => e.Episode)], cancellationToken);
            await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -chunk.Sum(e => e.ItemBytes)), cancellationToken);
            if (chunk.Length < episodes.Count)
            {
                await Step(onStep, TieringStep.HotPartlyDeleted, cancellationToken);
                onStep = null;
            }
        }
    }

    /// <summary>Ids of these hot episodes that a verified (indexed) batch already holds.</summary>
    private async Task<HashSet<string>> CoveredIdsAsync(string tenantId, string agentId, string partition, List<HotEpisode> episodes, CancellationToken cancellationToken)
    {
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var first = episodes[0].Episode.Position.ToString();
        var last = episodes[^1].Episode.Position.ToString();
        await foreach (var batch in cold.QueryBatchesAsync(partition, episodes[0].Episode.SessionId, first[..10], last, cancellationToken))
        {
            if (batch.Overlaps(first, last))
            {
                covered.UnionWith((await cold.ReadBatchAsync(tenantId, agentId, batch, cancellationToken)).Select(e => e.Id));
            }
        }

        return covered;
    }

    /// <summary>Splits a run into objects of at most <see cref="ColdEpisodeStore.MaxBatchEpisodes"/> episodes and about <see cref="ColdEpisodeStore.MaxBatchBytes"/>.</summary>
    private static IEnumerable<IReadOnlyList<HotEpisode>> Batches(IEnumerable<HotEpisode> episodes)
    {
        var batch = new List<HotEpisode>();
        long bytes = 0;
        foreach (var episode in episodes)
        {
            var size = Encoding.UTF8.GetByteCount(episode.Episode.ContentJson) + Encoding.UTF8.GetByteCount(episode.Episode.MetadataJson) + 200;
            if (batch.Count > 0 && (batch.Count >= ColdEpisodeStore.MaxBatchEpisodes || bytes + size > ColdEpisodeStore.MaxBatchBytes))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }

            batch.Add(episode);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private static ValueTask Step(Func<TieringStep, CancellationToken, ValueTask>? onStep, TieringStep step, CancellationToken cancellationToken) =>
        onStep?.Invoke(step, cancellationToken) ?? ValueTask.CompletedTask;
}

internal static class EpisodeRecordExtensions
{
    public static string Day(this EpisodeRecord episode) => episode.Timestamp[..10];
}
