using System.Text;
using Amazon.DynamoDBv2.Model;

namespace Mnemora.Storage.Memory;

/// <summary>An item's size as DynamoDB bills it (names plus values, approximately for numbers), for the usage meter.</summary>
internal static class ItemSize
{
    public static long Of(Dictionary<string, AttributeValue>? item)
    {
        if (item is null)
        {
            return 0;
        }

        long size = 0;
        foreach (var (name, value) in item)
        {
            size += Encoding.UTF8.GetByteCount(name) + Of(value);
        }

        return size;
    }

    private static long Of(AttributeValue value) => value switch
    {
        { S: { } s } => Encoding.UTF8.GetByteCount(s),
        { N: { } n } => (n.Length + 1) / 2 + 1,
        { B: { } b } => b.Length,
        { SS: { } ss } => ss.Sum(s => (long)Encoding.UTF8.GetByteCount(s)),
        { M: { } m } => 3 + Of(m),
        { L: { } l } => 3 + l.Sum(Of),
        _ => 1,
    };
}
