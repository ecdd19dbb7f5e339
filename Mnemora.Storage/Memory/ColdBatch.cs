using System.Globalization;
using Amazon.DynamoDBv2.Model;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// The index item of one cold object: a run of one session's episodes of one UTC day, at
/// <c>sk = COLD#{first position}</c> and <c>ssk = C#{session}#{first position}</c>. Readers find
/// cold episodes through these items (in their own partition), never by listing the bucket.
/// An index item is written only after its object was verified, so it is the proof that the
/// episodes it names are safely in S3.
/// </summary>
public sealed record ColdBatch(
    string SessionId,
    EpisodePosition First,
    EpisodePosition Last,
    int Count,
    long Bytes,
    IReadOnlyList<string> Types,
    string Sha256)
{
    private const string SessionAttribute = "session_id";
    private const string LastAttribute = "last";
    private const string CountAttribute = "count";
    private const string BytesAttribute = "bytes";
    private const string TypesAttribute = "types";
    private const string ShaAttribute = "sha256";

    /// <summary>True when the batch may hold an episode at a position between the two bounds (inclusive).</summary>
    public bool Overlaps(string lowerInclusive, string upperInclusive) =>
        string.CompareOrdinal(Last.ToString(), lowerInclusive) >= 0 && string.CompareOrdinal(First.ToString(), upperInclusive) <= 0;

    public Dictionary<string, AttributeValue> ToItem(string partition)
    {
        var item = Key(partition, MemoryKeys.Cold(First));
        item[MemoryKeys.SessionKey] = S(MemoryKeys.SessionColdPrefix(SessionId) + First);
        item[SessionAttribute] = S(SessionId);
        item[LastAttribute] = S(Last.ToString());
        item[CountAttribute] = N(Count);
        item[BytesAttribute] = N(Bytes);
        item[TypesAttribute] = new AttributeValue { SS = [.. Types] };
        item[ShaAttribute] = S(Sha256);
        return item;
    }

    /// <summary>Reads an index item back, re-validating every part that goes into the object key.</summary>
    public static ColdBatch FromItem(Dictionary<string, AttributeValue> item)
    {
        var sort = item.RequireString(Aws.DynamoTables.SortKey);
        var session = item.RequireString(SessionAttribute);
        if (!EpisodePosition.TryParse(sort[MemoryKeys.ColdPrefix.Length..], out var first)
            || !EpisodePosition.TryParse(item.RequireString(LastAttribute), out var last)
            || !Identifiers.IsValidId(session))
        {
            throw new InvalidDataException($"The cold index item '{sort}' is malformed.");
        }

        return new ColdBatch(
            session,
            first.Value,
            last.Value,
            (int)item.GetLong(CountAttribute),
            item.GetLong(BytesAttribute),
            item.TryGetValue(TypesAttribute, out var types) && types.SS is { } set ? set : [],
            item.GetString(ShaAttribute) ?? "");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{SessionId} {First}..{Last} ({Count})");
}
