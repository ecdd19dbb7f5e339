using Amazon.DynamoDBv2.Model;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>How a hot episode is laid out as a DynamoDB item.</summary>
public static class EpisodeItems
{
    private const string Id = "id";
    private const string SessionId = "session_id";
    private const string Type = "type";
    private const string Content = "content";
    private const string Metadata = "metadata";
    private const string Timestamp = "ts";

    /// <summary>The item: main sort key by time, the session index key, and the hour bucket the tiering worker looks in.</summary>
    public static Dictionary<string, AttributeValue> ToItem(string partition, EpisodeRecord episode)
    {
        var position = episode.Position;
        var item = Key(partition, MemoryKeys.Episode(position));
        item[MemoryKeys.SessionKey] = S(MemoryKeys.SessionEpisodePrefix(episode.SessionId) + position);
        item[MemoryKeys.TierBucket] = S(MemoryKeys.TierBucketFor(MemoryKeys.TierHour(EpisodePosition.ParseTimestamp(episode.Timestamp)), MemoryKeys.TierShard(partition)));
        item[Id] = S(episode.Id);
        item[SessionId] = S(episode.SessionId);
        item[Type] = S(episode.Type);
        item[Content] = S(episode.ContentJson);
        item[Metadata] = S(episode.MetadataJson);
        item[Timestamp] = S(episode.Timestamp);
        return item;
    }

    public static EpisodeRecord FromItem(Dictionary<string, AttributeValue> item) => new(
        item.RequireString(Id),
        item.RequireString(SessionId),
        item.RequireString(Type),
        item.RequireString(Content),
        item.RequireString(Metadata),
        item.RequireString(Timestamp));
}
