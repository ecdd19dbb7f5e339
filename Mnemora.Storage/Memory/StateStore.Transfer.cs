using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>Export and import: every live record of an agent, and writing a record exactly as it was exported.</summary>
public sealed partial class StateStore
{
    /// <summary>The agent's live state records, one session each, paged lazily from one Query on its partition.</summary>
    public async IAsyncEnumerable<StateRecord> ReadAllAsync(string tenantId, string agentId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(MemoryKeys.Partition(tenantId, agentId)),
                [":prefix"] = S(MemoryKeys.StatePrefix),
            },
            ConsistentRead = true,
            Limit = 100,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            var now = Now();
            foreach (var item in response.Items ?? [])
            {
                if (IsLive(item, now))
                {
                    yield return ToRecord(agentId, item.RequireString(Aws.DynamoTables.SortKey)[MemoryKeys.StatePrefix.Length..], item);
                }
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    /// <summary>
    /// Writes a record as given (its version, times and expiry), replacing whatever the session held.
    /// Importing the same record twice leaves the same item; the usage meter gets the size change.
    /// </summary>
    public async Task ImportAsync(string tenantId, StateRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        RequireSize(record.DataJson);
        var partition = MemoryKeys.Partition(tenantId, record.AgentId);
        var expiry = record.ExpiresAt is { } text ? new Expiry(text, EpisodePosition.ParseTimestamp(text).ToUnixTimeSeconds()) : (Expiry?)null;
        var item = ToItem(partition, MemoryKeys.State(record.SessionId), record, expiry);
        var response = await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item, ReturnValues = ReturnValue.ALL_OLD }, cancellationToken);
        var delta = ItemSize.Of(item) - ItemSize.Of(response.Attributes is { Count: > 0 } old ? old : null);
        if (delta != 0)
        {
            await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: delta), cancellationToken);
        }

        await usage.TrackAgentAsync(tenantId, record.AgentId, record.SessionId, cancellationToken);
    }
}
