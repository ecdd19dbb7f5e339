using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Tenancy;

/// <summary>The reads the tenants table's stores share: a paged Query of one partition's prefix, and a batched get.</summary>
internal static class TenantsTableReads
{
    /// <summary>Every item of partition <paramref name="pk"/> whose sort key starts with <paramref name="skPrefix"/>, paged lazily.</summary>
    public static async IAsyncEnumerable<Dictionary<string, AttributeValue>> QueryPrefixAsync(
        this IAmazonDynamoDB dynamo,
        string table,
        string pk,
        string skPrefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [":pk"] = S(pk),
                    [":prefix"] = S(skPrefix),
                },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                yield return item;
            }

            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    /// <summary>BatchGetItem in chunks of 100 keys, retrying what the store leaves unprocessed.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> BatchGetAllAsync(this IAmazonDynamoDB dynamo, string table, IEnumerable<Dictionary<string, AttributeValue>> keys, CancellationToken cancellationToken)
    {
        var found = new List<Dictionary<string, AttributeValue>>();
        foreach (var chunk in keys.Chunk(100))
        {
            var pending = new List<Dictionary<string, AttributeValue>>(chunk);
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 500)), cancellationToken);
                }

                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new Dictionary<string, KeysAndAttributes>(StringComparer.Ordinal)
                    {
                        [table] = new KeysAndAttributes { Keys = pending, ConsistentRead = true },
                    },
                }, cancellationToken);
                if (response.Responses is not null && response.Responses.TryGetValue(table, out var items))
                {
                    found.AddRange(items);
                }

                pending = response.UnprocessedKeys is not null && response.UnprocessedKeys.TryGetValue(table, out var left) && left.Keys is { } rest
                    ? rest
                    : [];
            }
        }

        return found;
    }
}
