using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Usage;

/// <summary>
/// <see cref="IUsageMeter"/> on the tenants table: running totals in <c>USAGE#TOTALS</c>, the
/// month's embeddings in <c>USAGE#MONTH#{yyyy-MM}</c>, and a registry of agents and sessions
/// whose conditional first write makes each count exactly once, whichever replica sees it first.
/// The totals item also keeps <c>storage_bytes</c>, the sum of the three stores' bytes moved in the same
/// update as they are: DynamoDB conditions cannot add, so the storage limit is checked against it.
/// </summary>
public sealed partial class DynamoUsageMeter(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider time) : IUsageMeter, IDisposable
{
    // Agents and sessions already registered: the hot path skips the write. A purge here forgets its
    // entries at once; entries expire (absolutely, however busy the agent) so that an agent purged
    // through another replica and recreated is registered (and counted) again within that time.
    private static readonly TimeSpan s_knownFor = TimeSpan.FromMinutes(5);
    private readonly MemoryCache _known = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    // The sum of dynamo_bytes, s3_bytes and postgres_bytes, written with them in every update of the totals item.
    private const string StorageBytes = "storage_bytes";

    // storage_bytes stays at most :max (the limit less what is added). A new tenant has no totals yet; one whose totals
    // predate storage_bytes is given it first (BackfillStorageBytesAsync).
    private const string WithinStorageLimit =
        $"({StorageBytes} <= :max) OR (attribute_not_exists({StorageBytes}) AND attribute_not_exists({A.DynamoBytes}) AND attribute_not_exists({A.S3Bytes}) AND attribute_not_exists({A.PostgresBytes}))";

    private string Table => options.Value.TenantsTable;

    public Task RecordAsync(string tenantId, UsageDelta delta, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delta);
        return RecordTotalsAsync(TenantItems.TenantPk(RequireId(tenantId)), delta, cancellationToken);
    }

    /// <summary>Adds the delta to the tenant's totals: with this replica's lease when it holds one (flushed within a second), else at once.</summary>
    private async Task RecordTotalsAsync(string pk, UsageDelta delta, CancellationToken cancellationToken)
    {
        var totals = Add(pk, TenantItems.TotalsSk,
            (A.Vectors, delta.Vectors),
            (A.DynamoBytes, delta.DynamoBytes),
            (A.S3Bytes, delta.S3Bytes),
            (A.PostgresBytes, delta.PostgresBytes),
            (StorageBytes, delta.StorageBytes),
            (A.Agents, delta.Agents),
            (A.Sessions, delta.Sessions));
        AddEmbeddings(pk, delta.EmbeddingsGenerated);
        if (totals is not null && !(options.Value.LeaseStorage && TryRecordInLease(pk, delta with { EmbeddingsGenerated = 0 })))
        {
            await dynamo.UpdateItemAsync(totals, cancellationToken);
        }
    }

    public async Task ReserveAsync(string tenantId, UsageDelta delta, UsageLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(limits);
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        var month = Add(pk, TenantItems.MonthSk(time.GetUtcNow()), (A.Embeddings, delta.EmbeddingsGenerated));
        if (month is not null)
        {
            if (delta.EmbeddingsGenerated > 0)
            {
                await AddWithinAsync(month, A.Embeddings, delta.EmbeddingsGenerated, limits.EmbeddingsPerMonth, StorageLimit.EmbeddingsPerMonth, cancellationToken);
            }
            else
            {
                await dynamo.UpdateItemAsync(month, cancellationToken);
            }
        }

        try
        {
            if (Add(pk, TenantItems.TotalsSk,
                (A.Vectors, delta.Vectors),
                (A.DynamoBytes, delta.DynamoBytes),
                (A.S3Bytes, delta.S3Bytes),
                (A.PostgresBytes, delta.PostgresBytes),
                (StorageBytes, delta.StorageBytes)) is { } totals)
            {
                var lease = options.Value.LeaseStorage;
                if (delta.StorageBytes > 0)
                {
                    await (lease
                        ? ReserveStorageAsync(pk, delta with { EmbeddingsGenerated = 0 }, limits.StorageBytes, cancellationToken)
                        : AddWithinStorageAsync(totals, delta.StorageBytes, limits.StorageBytes, cancellationToken));
                }
                else if (!(lease && TryRecordInLease(pk, delta with { EmbeddingsGenerated = 0 })))
                {
                    await dynamo.UpdateItemAsync(totals, cancellationToken);
                }
            }
        }
        catch when (month is not null)
        {
            // The embeddings were reserved for a write that will not happen: give them back, even if the caller gave up.
            await dynamo.UpdateItemAsync(Add(pk, TenantItems.MonthSk(time.GetUtcNow()), (A.Embeddings, -delta.EmbeddingsGenerated))!, CancellationToken.None);
            throw;
        }
    }

    /// <summary>The update, if the counter stays at most <paramref name="limit"/> with it: one conditional write, so concurrent callers cannot pass it together.</summary>
    private async Task AddWithinAsync(UpdateItemRequest update, string counter, long amount, long limit, StorageLimit kind, CancellationToken cancellationToken)
    {
        if (amount > limit)
        {
            throw Refused(kind, limit);
        }

        update.ConditionExpression = $"attribute_not_exists({counter}) OR {counter} <= :max";
        update.ExpressionAttributeValues[":max"] = N(limit - amount);
        try
        {
            await dynamo.UpdateItemAsync(update, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            throw Refused(kind, limit);
        }
    }

    private async Task AddWithinStorageAsync(UpdateItemRequest update, long amount, long limit, CancellationToken cancellationToken)
    {
        if (amount > limit)
        {
            throw Refused(StorageLimit.Storage, limit);
        }

        update.ConditionExpression = WithinStorageLimit;
        update.ExpressionAttributeValues[":max"] = N(limit - amount);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await dynamo.UpdateItemAsync(update, cancellationToken);
                return;
            }
            catch (ConditionalCheckFailedException)
            {
                // Totals that predate storage_bytes get it once; the reservation is then judged again.
                if (attempt > 0 || !await BackfillStorageBytesAsync(update.Key, cancellationToken))
                {
                    throw Refused(StorageLimit.Storage, limit);
                }
            }
        }
    }

    /// <summary>Writes storage_bytes on totals that predate it, unless they changed meanwhile; true when it did.</summary>
    private async Task<bool> BackfillStorageBytesAsync(Dictionary<string, AttributeValue> key, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = key, ConsistentRead = true }, cancellationToken);
        if (response.Item is not { Count: > 0 } item || item.ContainsKey(StorageBytes))
        {
            return false;
        }

        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            [":sum"] = N(item.GetLong(A.DynamoBytes) + item.GetLong(A.S3Bytes) + item.GetLong(A.PostgresBytes)),
        };
        var unchanged = new List<string> { $"attribute_not_exists({StorageBytes})" };
        foreach (var part in new[] { A.DynamoBytes, A.S3Bytes, A.PostgresBytes })
        {
            if (item.ContainsKey(part))
            {
                values[":" + part] = N(item.GetLong(part));
                unchanged.Add($"{part} = :{part}");
            }
            else
            {
                unchanged.Add($"attribute_not_exists({part})");
            }
        }

        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = Table,
                Key = key,
                UpdateExpression = $"SET {StorageBytes} = :sum",
                ConditionExpression = string.Join(" AND ", unchanged),
                ExpressionAttributeValues = values,
            }, cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            // Moved meanwhile: the caller's reservation is refused this time and the next one tries again.
            return false;
        }
    }

    private static StorageLimitException Refused(StorageLimit kind, long limit) => kind switch
    {
        StorageLimit.EmbeddingsPerMonth => new StorageLimitException(kind,
            $"The tenant's plan allows {limit} embeddings per month and this month's are used. Retry next month or upgrade the plan."),
        _ => new StorageLimitException(kind,
            $"The tenant's plan holds at most {limit} bytes. Delete memories or upgrade the plan."),
    };

    public async Task TrackAgentAsync(string tenantId, string agentId, string? sessionId, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        // The agent first, never at once with its session: a SESSION# item without its AGENT# item would be missed by a
        // tenant's erasure, which finds an agent's sessions through the agent.
        await RegisterOnceAsync(pk, TenantItems.AgentSk(RequireId(agentId)), A.Agents, agentId, null, cancellationToken);
        if (sessionId is not null)
        {
            await RegisterOnceAsync(pk, TenantItems.SessionSk(agentId, RequireId(sessionId)), A.Sessions, agentId, sessionId, cancellationToken);
        }
    }

    public async Task<UsageTotals> GetTotalsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var pk = TenantItems.TenantPk(RequireId(tenantId));
        // This replica's counts not yet written (reserved out of its storage lease) are part of the totals.
        var totalsTask = WithPendingAsync(pk, async pending => (Item: await GetAsync(pk, TenantItems.TotalsSk, cancellationToken), Pending: pending), cancellationToken);
        var embeddingsTask = EmbeddingsThisMonthAsync(pk, TenantItems.MonthSk(time.GetUtcNow()), cancellationToken);
        var (totals, pending) = await totalsTask;
        var embeddings = await embeddingsTask;
        return new UsageTotals(
            Vectors: totals.GetLong(A.Vectors) + pending.Vectors,
            EmbeddingsGeneratedThisMonth: embeddings,
            DynamoBytes: totals.GetLong(A.DynamoBytes) + pending.DynamoBytes,
            S3Bytes: totals.GetLong(A.S3Bytes) + pending.S3Bytes,
            PostgresBytes: totals.GetLong(A.PostgresBytes) + pending.PostgresBytes,
            Agents: totals.GetLong(A.Agents) + pending.Agents,
            Sessions: totals.GetLong(A.Sessions) + pending.Sessions);
    }

    public async Task<IReadOnlyList<string>> ListAgentsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var agents = new List<string>();
        await foreach (var item in QueryAsync(TenantItems.TenantPk(RequireId(tenantId)), TenantItems.AgentSkPrefix, cancellationToken))
        {
            agents.Add(item.RequireString(A.AgentId));
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
            sessionSks.Add(item.RequireString(Aws.DynamoTables.SortKey));
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

            // Counted as every other total is: with the tenant's lease when this replica holds one (one write less on a
            // session's first write).
            await RecordTotalsAsync(pk, counter == A.Agents ? new UsageDelta(Agents: 1) : new UsageDelta(Sessions: 1), cancellationToken);
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
