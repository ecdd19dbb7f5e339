using Amazon.DynamoDBv2.Model;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>The newest episodes within filters, read backwards so a long history is never read whole (summaries).</summary>
public sealed partial class EpisodeStore
{
    /// <summary>
    /// At most <see cref="EpisodeQuery.Limit"/> of the newest episodes in the query's session and time range,
    /// oldest first, holding at most <paramref name="maxBytes"/> of episode JSON (the oldest are left out
    /// beyond). Hot items are read newest first; cold batches newest first until one ends before the oldest
    /// episode kept. An episode being moved (hot and cold at once) is kept once.
    /// </summary>
    public async Task<IReadOnlyList<EpisodeRecord>> NewestAsync(string tenantId, string agentId, EpisodeQuery query, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, EpisodeQuery.MaxLimit);
        var partition = MemoryKeys.Partition(tenantId, agentId);
        var lower = query.From is { } from ? EpisodePosition.FormatTimestamp(from) + "#" : "";
        var upper = query.To is { } to ? EpisodePosition.FormatTimestamp(to) + "#~" : "~";
        var window = new NewestWindow(query.Limit, maxBytes);
        if (string.CompareOrdinal(lower, upper) > 0)
        {
            return [];
        }

        var prefix = query.SessionId is null ? MemoryKeys.EpisodePrefix : MemoryKeys.SessionEpisodePrefix(query.SessionId);
        var request = new QueryRequest
        {
            TableName = Table,
            IndexName = query.SessionId is null ? null : MemoryKeys.SessionIndex,
            KeyConditionExpression = query.SessionId is null ? "pk = :pk AND sk BETWEEN :lower AND :upper" : "pk = :pk AND ssk BETWEEN :lower AND :upper",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":lower"] = S(prefix + lower),
                [":upper"] = S(prefix + upper),
            },
            ScanIndexForward = false,
            ConsistentRead = true,
            Limit = query.Limit,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                window.Add(EpisodeItems.FromItem(item));
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (!window.IsFull && request.ExclusiveStartKey is { Count: > 0 });

        var firstFrom = lower.Length >= 10 ? lower[..10] : "";
        await foreach (var batch in cold.QueryBatchesAsync(partition, query.SessionId, firstFrom, upper, cancellationToken, newestFirst: true))
        {
            if (window.IsFull && window.Oldest is { } oldest && string.CompareOrdinal(batch.Last.ToString(), oldest) < 0)
            {
                // Batches come by first position, newest first, and one day each: this one and what follows are older than the window.
                if (string.CompareOrdinal(batch.First.Day, oldest[..10]) < 0)
                {
                    break;
                }

                continue;
            }

            if (!batch.Overlaps(lower, upper))
            {
                continue;
            }

            await foreach (var episode in cold.StreamBatchAsync(tenantId, agentId, batch, cancellationToken))
            {
                var position = episode.Position.ToString();
                if (string.CompareOrdinal(position, lower) >= 0 && string.CompareOrdinal(position, upper) <= 0)
                {
                    window.Add(episode);
                }
            }
        }

        return window.Episodes;
    }

    /// <summary>The newest episodes seen so far, at most a count and a byte budget; adding past either drops the oldest.</summary>
    private sealed class NewestWindow(int limit, long maxBytes)
    {
        private readonly SortedDictionary<string, EpisodeRecord> _episodes = new(StringComparer.Ordinal);
        private long _bytes;

        public bool IsFull => _episodes.Count >= limit || _bytes >= maxBytes;

        public string? Oldest => _episodes.Count == 0 ? null : _episodes.First().Key;

        public IReadOnlyList<EpisodeRecord> Episodes => [.. _episodes.Values];

        public void Add(EpisodeRecord episode)
        {
            var position = episode.Position.ToString();
            if ((IsFull && string.CompareOrdinal(position, Oldest) < 0) || !_episodes.TryAdd(position, episode))
            {
                return;
            }

            _bytes += EpisodeQuery.JsonBytes(episode);
            while (_episodes.Count > limit || (_bytes > maxBytes && _episodes.Count > 1))
            {
                var (oldest, dropped) = _episodes.First();
                _episodes.Remove(oldest);
                _bytes -= EpisodeQuery.JsonBytes(dropped);
            }
        }
    }
}
