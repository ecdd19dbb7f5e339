using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace Mnemora.Storage.Aws;

/// <summary>The one helper for DynamoDB attribute values: keeps AttributeValue noise out of every store.</summary>
internal static class DynamoItems
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    /// <summary>A moment as ISO 8601 UTC text (round-trip format), which sorts as it orders.</summary>
    public static AttributeValue Time(DateTime value) => S(value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));

    public static Dictionary<string, AttributeValue> Key(string partition, string sort) => new(StringComparer.Ordinal)
    {
        [DynamoTables.PartitionKey] = S(partition),
        [DynamoTables.SortKey] = S(sort),
    };

    public static string? GetString(this Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) ? value.S : null;

    public static string RequireString(this Dictionary<string, AttributeValue> item, string name) =>
        item.GetString(name) ?? throw new InvalidDataException($"An item lacks its '{name}' attribute.");

    public static long GetLong(this Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.N is { } n
            ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 0;

    public static DateTime? GetNullableTime(this Dictionary<string, AttributeValue>? item, string name) =>
        item.GetString(name) is { } text
            ? DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;

    public static DateTime RequireTime(this Dictionary<string, AttributeValue> item, string name) =>
        item.GetNullableTime(name) ?? throw new InvalidDataException($"An item lacks its '{name}' attribute.");
}
