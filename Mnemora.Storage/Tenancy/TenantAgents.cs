using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// The tenant's agents, from the agent registry the usage meter keeps (<c>TENANT#{id}</c>,
/// <c>AGENT#{agent}</c>): one Query on the tenant's partition, paged lazily, never a Scan.
/// Every memory write registers its agent, so this lists every agent that holds anything.
/// </summary>
public sealed class TenantAgents(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    public async IAsyncEnumerable<string> ListAsync(string tenantId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Identifiers.IsValidId(tenantId))
        {
            throw new ArgumentException("Not a valid identifier; validate ids before they reach a store.", nameof(tenantId));
        }

        var request = new QueryRequest
        {
            TableName = options.Value.TenantsTable,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new(StringComparer.Ordinal)
            {
                [":pk"] = S(TenantItems.TenantPk(tenantId)),
                [":prefix"] = S(TenantItems.AgentSkPrefix),
            },
            ProjectionExpression = "sk",
            ConsistentRead = true,
            Limit = 500,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                var agentId = item.RequireString(Aws.DynamoTables.SortKey)[TenantItems.AgentSkPrefix.Length..];
                if (Identifiers.IsValidId(agentId))
                {
                    yield return agentId;
                }
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }
}
