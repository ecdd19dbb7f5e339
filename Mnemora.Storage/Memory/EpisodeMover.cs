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
/// deleted without being written again. A purge of the agent wins over a move: while its marker is
/// live (<see cref="PurgeMarkers"/>) the mover removes the object and index item it just wrote and
/// stops, and it never writes a batch from a page read longer than <see cref="MaxPageAge"/> ago.
/// </summary>
public sealed class EpisodeMover(EpisodeTierStore tier, ColdEpisodeStore cold, PurgeMarkers purges, IUsageMeter usage, TimeProvider time)
{
    /// <summary>
    /// The oldest a page of hot episodes may be when one of its batches is written. Well inside
    /// <see cref="PurgeMarkers.Hold"/>: a purge that ended before the page was read cannot have its
    /// marker expire before the page's last check, so a stalled move still sees it.
    /// </summary>
    public static readonly TimeSpan MaxPageAge = PurgeMarkers.Hold / 3;

    /// <summary>Moves every hot episode at or before <paramref name="cutoff"/> (a position bound, e.g. <c>{timestamp}#~</c>); returns how many moved.</summary>
    public async Task<int> MovePartitionAsync(string partition, string cutoff, Func<TieringStep, CancellationToken, ValueTask>? onStep, CancellationToken cancellationToken)
    {
        if (!MemoryKeys.TryParsePartition(partition, out var tenantId, out var agentId))
        {
            return 0;
        }

        if (await purges.IsLiveAsync(partition, cancellationToken))
        {
            return 0;
        }

        var moved = 0;
        await foreach (var page in tier.OldEpisodesAsync(partition, cutoff, cancellationToken))
        {
            var readAt = time.GetTimestamp();
            foreach (var run in page.GroupBy(e => (e.Episode.Day(), e.Episode.SessionId)))
            {
                var episodes = run.ToList();
                var covered = await CoveredIdsAsync(tenantId, agentId, partition, episodes, cancellationToken);
                if (!await DeleteAsync(tenantId, partition, [.. episodes.Where(e => covered.Contains(e.Episode.Id))], null, cancellationToken))
                {
                    return moved;
                }

                foreach (var batch in Batches(episodes.Where(e => !covered.Contains(e.Episode.Id))))
                {
                    if (!await MoveBatchAsync(tenantId, agentId, partition, batch, readAt, onStep, cancellationToken))
                    {
                        // A purge is deleting the agent (or the page is too old): the next cycle starts afresh.
                        return moved;
                    }

                    moved += batch.Count;
                }
            }
        }

        return moved;
    }

    /// <summary>Moves one batch; false when it stopped for a purge (or an old page) and removed what it had written.</summary>
    private async Task<bool> MoveBatchAsync(
        string tenantId,
        string agentId,
        string partition,
        IReadOnlyList<HotEpisode> batch,
        long readAt,
        Func<TieringStep, CancellationToken, ValueTask>? onStep,
        CancellationToken cancellationToken)
    {
        var written = await cold.WriteObjectAsync(tenantId, agentId, [.. batch.Select(e => e.Episode)], cancellationToken);
        await Step(onStep, TieringStep.ObjectWritten, cancellationToken);

        var verified = await cold.VerifyObjectAsync(tenantId, agentId, written, cancellationToken);
        if (!verified && !await MustStopAsync(partition, readAt, cancellationToken))
        {
            throw new InvalidDataException($"The cold object of {written} did not read back as written; its episodes stay hot.");
        }

        if (verified)
        {
            await Step(onStep, TieringStep.ObjectVerified, cancellationToken);
        }

        // Checked after each write that a purge must see: the purge deletes what was there before its
        // marker, the mover removes what it wrote after (docs/memory-storage.md, "Purge").
        if (!verified || await MustStopAsync(partition, readAt, cancellationToken))
        {
            await cold.DeleteObjectAsync(tenantId, agentId, written, cancellationToken);
            return false;
        }

        await cold.PutIndexAsync(partition, written, cancellationToken);
        await usage.RecordAsync(tenantId, new UsageDelta(S3Bytes: written.Bytes), cancellationToken);
        await Step(onStep, TieringStep.IndexWritten, cancellationToken);

        if (await MustStopAsync(partition, readAt, cancellationToken))
        {
            // Whoever removes the index item uncounts its bytes: this mover or the purge, never both.
            if (await cold.DeleteIndexAsync(partition, written, cancellationToken))
            {
                await usage.RecordAsync(tenantId, new UsageDelta(S3Bytes: -written.Bytes), cancellationToken);
            }

            await cold.DeleteObjectAsync(tenantId, agentId, written, cancellationToken);
            return false;
        }

        return await DeleteAsync(tenantId, partition, batch, onStep, cancellationToken);
    }

    private async Task<bool> MustStopAsync(string partition, long readAt, CancellationToken cancellationToken) =>
        time.GetElapsedTime(readAt) > MaxPageAge || await purges.IsLiveAsync(partition, cancellationToken);

    /// <summary>Deletes hot items a chunk at a time; false when a purge began meanwhile (it deletes and uncounts the rest itself).</summary>
    private async Task<bool> DeleteAsync(string tenantId, string partition, IReadOnlyList<HotEpisode> episodes, Func<TieringStep, CancellationToken, ValueTask>? onStep, CancellationToken cancellationToken)
    {
        var first = true;
        foreach (var chunk in episodes.Chunk(EpisodeTierStore.DeleteChunk))
        {
            // A delete of an item that is gone succeeds silently: without this check both would uncount it.
            if (!first && await purges.IsLiveAsync(partition, cancellationToken))
            {
                return false;
            }

            first = false;
            await tier.DeleteHotAsync(partition, [.. chunk.Select(e => e.Episode)], cancellationToken);
            await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -chunk.Sum(e => e.ItemBytes)), cancellationToken);
            if (chunk.Length < episodes.Count)
            {
                await Step(onStep, TieringStep.HotPartlyDeleted, cancellationToken);
                onStep = null;
            }
        }

        return true;
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
