using System.Text;

namespace Mnemora.Storage.Memory;

/// <summary>
/// The key schema of the memory table (see docs/memory-storage.md). Every tenant item lives under
/// the partition <c>{tenant}#{agent}</c>; ids cannot contain <c>#</c> (<see cref="Identifiers"/>),
/// so no id can reach another tenant's or agent's partition, and the worker's own items use a
/// partition that starts with <c>#</c>, which no tenant id can. In S3 keys each id is one segment
/// (<see cref="Identifiers.ToKeySegment"/>), so an id with <c>/</c> cannot reach another's prefix.
/// </summary>
public static class MemoryKeys
{
    /// <summary>Local secondary index: an agent's items ordered per session (<c>E#{session}#{position}</c> for hot episodes, <c>C#{session}#{first}</c> for cold batches).</summary>
    public const string SessionIndex = "session-index";
    public const string SessionKey = "ssk";

    /// <summary>Sparse global secondary index over hot episodes only: hash <c>HOT#{yyyy-MM-ddTHH}#{shard}</c>, range <c>pk</c>, keys only; the worker finds old episodes with it instead of scanning.</summary>
    public const string TierIndex = "tier-index";
    public const string TierBucket = "tb";

    /// <summary>Hot episodes of one hour are spread over this many index partitions so that no index partition takes every write.</summary>
    public const int TierShards = 8;

    /// <summary>The worker's registry of hours that have hot episodes: one item per hour, written by the API before the hour's first episode.</summary>
    public const string TierRegistryPartition = "#TIERING#BUCKETS";

    public const string StatePrefix = "STATE#";
    public const string EpisodePrefix = "EPISODE#";
    public const string ColdPrefix = "COLD#";

    public static string Partition(string tenantId, string agentId)
    {
        Require(tenantId, nameof(tenantId));
        Require(agentId, nameof(agentId));
        return $"{tenantId}#{agentId}";
    }

    /// <summary>Splits a memory partition key back into its tenant and agent, or false when it is not one (e.g. the worker's registry).</summary>
    public static bool TryParsePartition(string partition, out string tenantId, out string agentId)
    {
        var separator = partition.IndexOf('#', StringComparison.Ordinal);
        tenantId = separator > 0 ? partition[..separator] : "";
        agentId = separator > 0 ? partition[(separator + 1)..] : "";
        return Identifiers.IsValidId(tenantId) && Identifiers.IsValidId(agentId);
    }

    public static string State(string sessionId)
    {
        Require(sessionId, nameof(sessionId));
        return StatePrefix + sessionId;
    }

    public static string Episode(EpisodePosition position) => EpisodePrefix + position;

    public static string SessionEpisodePrefix(string sessionId)
    {
        Require(sessionId, nameof(sessionId));
        return $"E#{sessionId}#";
    }

    public static string SessionColdPrefix(string sessionId)
    {
        Require(sessionId, nameof(sessionId));
        return $"C#{sessionId}#";
    }

    public static string Cold(EpisodePosition first) => ColdPrefix + first;

    public static string TierHour(DateTimeOffset timestamp) => "HOT#" + timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTierHour(string hour) =>
        DateTimeOffset.ParseExact(hour["HOT#".Length..], "yyyy-MM-dd'T'HH", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);

    public static string TierBucketFor(string hour, int shard) => $"{hour}#{shard}";

    /// <summary>A stable shard (FNV-1a of the partition key) so that an agent's episodes of one hour share an index partition.</summary>
    public static int TierShard(string partition)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(partition))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % TierShards);
    }

    /// <summary>
    /// The S3 key of a cold batch: <c>{tenant}/{agent}/{yyyy-MM-dd}/{session}/{first episode id}.ndjson.gz</c>,
    /// each id as its key segment (<see cref="Identifiers.ToKeySegment"/>). Built only from validated ids and
    /// a parsed position, never from stored text; deterministic, so a move that is re-run after a crash
    /// overwrites its object rather than adding another.
    /// </summary>
    public static string ColdObject(string tenantId, string agentId, string sessionId, EpisodePosition first)
    {
        Require(tenantId, nameof(tenantId));
        Require(agentId, nameof(agentId));
        Require(sessionId, nameof(sessionId));
        return $"{Identifiers.ToKeySegment(tenantId)}/{Identifiers.ToKeySegment(agentId)}/{first.Day}/{Identifiers.ToKeySegment(sessionId)}/{first.Id}.ndjson.gz";
    }

    /// <summary>The prefix of every cold object of an agent.</summary>
    public static string ColdAgentPrefix(string tenantId, string agentId)
    {
        Require(tenantId, nameof(tenantId));
        Require(agentId, nameof(agentId));
        return $"{Identifiers.ToKeySegment(tenantId)}/{Identifiers.ToKeySegment(agentId)}/";
    }

    /// <summary>The prefix of every cold object of a tenant.</summary>
    public static string ColdTenantPrefix(string tenantId)
    {
        Require(tenantId, nameof(tenantId));
        return $"{Identifiers.ToKeySegment(tenantId)}/";
    }

    private static void Require(string value, string name)
    {
        if (!Identifiers.IsValidId(value))
        {
            throw new ArgumentException("Not a valid identifier; validate ids before building keys.", name);
        }
    }
}
