using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;
using static Mnemora.Storage.Tenancy.DynamoItem;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Usage;

/// <summary>
/// <see cref="IUsageMeter"/> on the tenants table: running totals in <c>USAGE#TOTALS</c>, the
/// month's embeddings in <c>USAGE#MONTH#{yyyy-MM}</c>, and a registry of agents and sessions
/// whose conditional first write makes each count exactly once, whichever replica sees it first.
/// </summary>
public sealed class DynamoUsageMeter(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider time) : IUsageMeter, IDisposable
{
    // Agents and sessions already registered: the hot path skips the write. A purge here forgets its
    // entries at once; entries expire (absolutely, however busy the agent) so that an agent purged
    // through another replica and recreated is registered (and counted) again within that time.
    private static readonly TimeSpan s_knownFor = TimeSpan.FromMinutes(5);
    private readonly MemoryCache _known = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    private string Table => options.Value.TenantsTable;

    public async Task RecordAsync(string tenantId, UsageDelta delta, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        var totals = Add(pk, TenantItems.TotalsSk,
            (A.Vectors, delta.Vectors),
            (A.DynamoBytes, delta.DynamoBytes),
            (A.S3Bytes, delta.S3Bytes),
            (A.PostgresBytes, delta.PostgresBytes));
        var month = Add(pk, TenantItems.MonthSk(time.GetUtcNow()), (A.Embeddings, delta.EmbeddingsGenerated));
        await Task.WhenAll(
            totals is null ? Task.CompletedTask : dynamo.UpdateItemAsync(totals, cancellationToken),
            month is null ? Task.CompletedTask : dynamo.UpdateItemAsync(month, cancellationToken));
    }

    public async Task TrackAgentAsync(string tenantId, string agentId, string? sessionId, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        await RegisterOnceAsync(pk, TenantItems.AgentSk(RequireId(agentId)), A.Agents, agentId, null, cancellationToken);
        if (sessionId is not null)
        {
            await RegisterOnceAsync(pk, TenantItems.SessionSk(agentId, RequireId(sessionId)), A.Sessions, agentId, sessionId, cancellationToken);
        }
    }

    public async Task<UsageTotals> GetTotalsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        var totalsTask = GetAsync(pk, TenantItems.TotalsSk, cancellationToken);
        var monthTask = GetAsync(pk, TenantItems.MonthSk(time.GetUtcNow()), cancellationToken);
        var totals = await totalsTask;
        var month = await monthTask;
        return new UsageTotals(
            Vectors: Long(totals, A.Vectors),
            EmbeddingsGeneratedThisMonth: Long(month, A.Embeddings),
            DynamoBytes: Long(totals, A.DynamoBytes),
            S3Bytes: Long(totals, A.S3Bytes),
            PostgresBytes: Long(totals, A.PostgresBytes),
            Agents: Long(totals, A.Agents),
            Sessions: Long(totals, A.Sessions));
    }

    public async Task<IReadOnlyList<string>> ListAgentsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var agents = new List<string>();
        await foreach (var item in QueryAsync(TenantItems.TenantPk(RequireId(tenantId)), TenantItems.AgentSkPrefix, cancellationToken))
        {
            agents.Add(RequiredString(item, A.AgentId));
        }

        return agents;
    }

    public async Task<ForgottenAgent> ForgetAgentAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        var agentSk = TenantItems.AgentSk(RequireId(agentId));
        var sessionSks = new List<string>();
        await foreach (var item in QueryAsync(pk, $"{TenantItems.SessionSkPrefix}{agentId}#", cancellationToken))
        {
            sessionSks.Add(RequiredString(item, Aws.DynamoTables.SortKey));
        }

        // One delete per item, each telling whether it removed something: a session is uncounted by exactly one purge.
        var sessions = 0L;
        await Parallel.ForEachAsync(sessionSks, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (sk, ct) =>
        {
            if (await DeleteAsync(pk, sk, ct))
            {
                Interlocked.Increment(ref sessions);
            }
        });
        var agents = await DeleteAsync(pk, agentSk, cancellationToken) ? 1L : 0L;

        foreach (var sk in sessionSks.Append(agentSk))
        {
            _known.Remove(pk + "\n" + sk);
        }

        if (Add(pk, TenantItems.TotalsSk, (A.Agents, -agents), (A.Sessions, -sessions)) is { } uncount)
        {
            await dynamo.UpdateItemAsync(uncount, cancellationToken);
        }

        return new ForgottenAgent(agents, sessions);
    }

    private async Task<bool> DeleteAsync(string pk, string sk, CancellationToken cancellationToken)
    {
        var response = await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = Table, Key = Key(pk, sk), ReturnValues = ReturnValue.ALL_OLD }, cancellationToken);
        return response.Attributes is { Count: > 0 };
    }

    private async IAsyncEnumerable<Dictionary<string, AttributeValue>> QueryAsync(
        string pk,
        string skPrefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new(StringComparer.Ordinal) { [":pk"] = S(pk), [":prefix"] = S(skPrefix) },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                yield return item;
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    /// <summary>Writes the registry item if absent and, only then, counts it: a conditional put decides the one winner.</summary>
    private async Task RegisterOnceAsync(string pk, string sk, string counter, string agentId, string? sessionId, CancellationToken cancellationToken)
    {
        var cacheKey = pk + "\n" + sk;
        if (_known.TryGetValue(cacheKey, out _))
        {
            return;
        }

        var item = Key(pk, sk);
        item[A.AgentId] = S(agentId);
        if (sessionId is not null)
        {
            item[A.SessionId] = S(sessionId);
        }

        item[A.FirstSeenAt] = Time(time.GetUtcNow().UtcDateTime);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, cancellationToken);
            await dynamo.UpdateItemAsync(Add(pk, TenantItems.TotalsSk, (counter, 1))!, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Registered before, here or by another replica: already counted.
        }

        _known.Set(cacheKey, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = s_knownFor });
    }

    private UpdateItemRequest? Add(string pk, string sk, params ReadOnlySpan<(string Attribute, long Delta)> deltas)
    {
        var clauses = new List<string>();
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (attribute, delta) in deltas)
        {
            if (delta != 0)
            {
                clauses.Add($"{attribute} :{attribute}");
                values[":" + attribute] = N(delta);
            }
        }

        return clauses.Count == 0 ? null : new UpdateItemRequest
        {
            TableName = Table,
            Key = Key(pk, sk),
            UpdateExpression = "ADD " + string.Join(", ", clauses),
            ExpressionAttributeValues = values,
        };
    }

    private async Task<Dictionary<string, AttributeValue>?> GetAsync(string pk, string sk, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = Key(pk, sk), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    private static string RequireId(string id, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(id))] string? name = null) =>
        Identifiers.IsValidId(id) ? id : throw new ArgumentException("Not a valid identifier; validate ids before they reach a store.", name);

    public void Dispose() => _known.Dispose();
}
