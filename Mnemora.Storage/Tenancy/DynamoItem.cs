using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace Mnemora.Storage.Tenancy;

/// <summary>Reads and writes the attribute values of the tenants table's items.</summary>
internal static class DynamoItem
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue Time(DateTime value) => S(value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));

    public static Dictionary<string, AttributeValue> Key(string pk, string sk) => new(StringComparer.Ordinal)
    {
        [Aws.DynamoTables.PartitionKey] = S(pk),
        [Aws.DynamoTables.SortKey] = S(sk),
    };

    public static string? String(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) ? value.S : null;

    public static string RequiredString(Dictionary<string, AttributeValue> item, string name) =>
        String(item, name) ?? throw new InvalidDataException($"Item lacks '{name}'.");

    public static long Long(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.N is { } n
            ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 0;

    public static DateTime? NullableTime(Dictionary<string, AttributeValue>? item, string name) =>
        String(item, name) is { } text
            ? DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;

    public static DateTime Time(Dictionary<string, AttributeValue> item, string name) =>
        NullableTime(item, name) ?? throw new InvalidDataException($"Item lacks '{name}'.");
}
