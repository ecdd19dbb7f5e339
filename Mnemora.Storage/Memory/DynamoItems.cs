using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace Mnemora.Storage.Memory;

/// <summary>Small helpers that keep AttributeValue noise out of the stores.</summary>
internal static class DynamoItems
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static string? GetString(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    public static string RequireString(this Dictionary<string, AttributeValue> item, string name) =>
        item.GetString(name) ?? throw new InvalidDataException($"A memory item lacks its '{name}' attribute.");

    public static long GetLong(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : 0;

    public static Dictionary<string, AttributeValue> Key(string partition, string sort) => new()
    {
        [Aws.DynamoTables.PartitionKey] = S(partition),
        [Aws.DynamoTables.SortKey] = S(sort),
    };
}
