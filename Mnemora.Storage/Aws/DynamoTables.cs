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
        KeyedTable(options.MemoryTable),
    ];

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
