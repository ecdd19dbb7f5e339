using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Mnemora.Storage.Aws;

/// <summary>
/// The DynamoDB tables Mnemora owns. Every table is keyed by a string partition key <c>pk</c>
/// and sort key <c>sk</c>; every access names the full partition key (there is no Scan).
/// </summary>
public static class DynamoTables
{
    public const string PartitionKey = "pk";
    public const string SortKey = "sk";

    public static IEnumerable<CreateTableRequest> All(StorageOptions options) =>
    [
        KeyedTable(options.TenantsTable),
        MemoryTable(options.MemoryTable),
    ];

    /// <summary>
    /// The memory table (state, hot episodes, cold batch index) with the session index (LSI on
    /// <c>ssk</c>: a session's episodes without reading the whole agent) and the sparse tier index
    /// (GSI on <c>tb</c> + <c>pk</c>, keys only: the worker finds old episodes without a Scan).
    /// Key schema: Mnemora.Storage.Memory.MemoryKeys.
    /// </summary>
    private static CreateTableRequest MemoryTable(string name)
    {
        var table = KeyedTable(name);
        table.AttributeDefinitions.Add(new AttributeDefinition(Memory.MemoryKeys.SessionKey, ScalarAttributeType.S));
        table.AttributeDefinitions.Add(new AttributeDefinition(Memory.MemoryKeys.TierBucket, ScalarAttributeType.S));
        table.LocalSecondaryIndexes =
        [
            new LocalSecondaryIndex
            {
                IndexName = Memory.MemoryKeys.SessionIndex,
                KeySchema = [new KeySchemaElement(PartitionKey, KeyType.HASH), new KeySchemaElement(Memory.MemoryKeys.SessionKey, KeyType.RANGE)],
                Projection = new Projection { ProjectionType = ProjectionType.ALL },
            },
        ];
        table.GlobalSecondaryIndexes =
        [
            new GlobalSecondaryIndex
            {
                IndexName = Memory.MemoryKeys.TierIndex,
                KeySchema = [new KeySchemaElement(Memory.MemoryKeys.TierBucket, KeyType.HASH), new KeySchemaElement(PartitionKey, KeyType.RANGE)],
                Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
            },
        ];
        return table;
    }

    private static CreateTableRequest KeyedTable(string name) => new()
    {
        TableName = name,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions =
        [
            new AttributeDefinition(PartitionKey, ScalarAttributeType.S),
            new AttributeDefinition(SortKey, ScalarAttributeType.S),
        ],
        KeySchema =
        [
            new KeySchemaElement(PartitionKey, KeyType.HASH),
            new KeySchemaElement(SortKey, KeyType.RANGE),
        ],
    };
}
