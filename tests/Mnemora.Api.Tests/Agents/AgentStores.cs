using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Amazon.S3.Model;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Memory;
using Mnemora.Api.Tests.Semantic;
using Mnemora.Storage.Memory;
using Npgsql;

namespace Mnemora.Api.Tests.Agents;

/// <summary>What every store holds of one agent, read directly (not through the API): the tests' independent witness of a purge.</summary>
internal sealed record AgentContents(
    IReadOnlyList<string> DynamoSortKeys,
    long PostgresRows,
    IReadOnlyList<string> S3Keys,
    IReadOnlyList<string> RegistrySortKeys)
{
    /// <summary>Everything but the purge marker, which holds no memory.</summary>
    public bool IsEmpty => DynamoSortKeys.All(k => k == PurgeMarkers.SortKey) && PostgresRows == 0 && S3Keys.Count == 0 && RegistrySortKeys.Count == 0;

    public override string ToString() =>
        $"dynamo [{string.Join(", ", DynamoSortKeys.Take(5))}{(DynamoSortKeys.Count > 5 ? $", … {DynamoSortKeys.Count} items" : "")}], " +
        $"postgres {PostgresRows} rows, s3 [{string.Join(", ", S3Keys.Take(5))}], registry [{string.Join(", ", RegistrySortKeys)}]";
}

/// <summary>
/// The running system's stores, opened directly: DynamoDB (the agent's memory partition and its
/// entries in the tenant's registry, Queries on full partition keys), PostgreSQL as the superuser
/// (row-level security does not hide rows from it) and S3 (the agent's prefix).
/// </summary>
internal sealed class AgentStores : IAsyncDisposable
{
    private static readonly string[] s_markerAttributes = ["pk", "sk", "marked_at", "until", "ttl"];

    private readonly NpgsqlDataSource _owner;

    private AgentStores(MemoryHost memory, NpgsqlDataSource owner)
    {
        Memory = memory;
        _owner = owner;
    }

    public MemoryHost Memory { get; }

    public static async Task<AgentStores> OpenAsync(MnemoraApp system) =>
        new(await MemoryHost.CreateAsync(system.App), await SemanticDatabase.OwnerAsync(system));

    public async Task<AgentContents> ReadAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var partition = await ItemsAsync(Memory.Options.MemoryTable, $"{tenantId}#{agentId}", "", cancellationToken);
        var registry = await ItemsAsync(Memory.Options.TenantsTable, $"TENANT#{tenantId}", $"AGENT#{agentId}", cancellationToken);
        registry.AddRange(await ItemsAsync(Memory.Options.TenantsTable, $"TENANT#{tenantId}", $"SESSION#{agentId}#", cancellationToken));
        // AGENT#{agent} also prefixes AGENT#{agent}x: keep the exact one.
        registry.RemoveAll(i => i["sk"].S.StartsWith("AGENT#", StringComparison.Ordinal) && i["sk"].S != $"AGENT#{agentId}");

        await using var count = _owner.CreateCommand("SELECT count(*) FROM semantic_memory WHERE tenant_id = @tenant AND agent_id = @agent");
        count.Parameters.AddWithValue("tenant", tenantId);
        count.Parameters.AddWithValue("agent", agentId);
        var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;

        return new AgentContents(
            [.. partition.Select(i => i["sk"].S)],
            rows,
            await ObjectKeysAsync($"{tenantId}/{agentId}/", cancellationToken),
            [.. registry.Select(i => i["sk"].S)]);
    }

    /// <summary>Asserts that no store holds anything of the agent; the purge marker may stay, with timestamps only.</summary>
    public async Task AssertPurgedAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var contents = await ReadAsync(tenantId, agentId, cancellationToken);
        Assert.True(contents.IsEmpty, $"{tenantId}#{agentId} still holds: {contents}");
        foreach (var marker in await ItemsAsync(Memory.Options.MemoryTable, $"{tenantId}#{agentId}", PurgeMarkers.SortKey, cancellationToken))
        {
            Assert.All(marker.Keys, name => Assert.Contains(name, s_markerAttributes));
        }
    }

    /// <summary>Live semantic rows of the agent and all of them, soft-deleted included.</summary>
    public async Task<(long Live, long All)> SemanticRowsAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        await using var count = _owner.CreateCommand(
            "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FROM semantic_memory WHERE tenant_id = @tenant AND agent_id = @agent");
        count.Parameters.AddWithValue("tenant", tenantId);
        count.Parameters.AddWithValue("agent", agentId);
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Removes an agent's registry entry and its count, as a crash between a write and its registration would leave them.</summary>
    public async Task UnregisterAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        await Memory.Dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = Memory.Options.TenantsTable,
            Key = new() { ["pk"] = new AttributeValue($"TENANT#{tenantId}"), ["sk"] = new AttributeValue($"AGENT#{agentId}") },
        }, cancellationToken);
        await Memory.Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Memory.Options.TenantsTable,
            Key = new() { ["pk"] = new AttributeValue($"TENANT#{tenantId}"), ["sk"] = new AttributeValue("USAGE#TOTALS") },
            UpdateExpression = "ADD agents :minus",
            ExpressionAttributeValues = new() { [":minus"] = new AttributeValue { N = "-1" } },
        }, cancellationToken);
    }

    private async Task<List<Dictionary<string, AttributeValue>>> ItemsAsync(string table, string pk, string skPrefix, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = skPrefix.Length == 0 ? "pk = :pk" : "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new() { [":pk"] = new AttributeValue(pk) },
            ConsistentRead = true,
        };
        if (skPrefix.Length > 0)
        {
            request.ExpressionAttributeValues[":prefix"] = new AttributeValue(skPrefix);
        }

        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var response = await Memory.Dynamo.QueryAsync(request, cancellationToken);
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        return items;
    }

    private async Task<List<string>> ObjectKeysAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Memory.Options.EpisodesBucket, Prefix = prefix };
        var keys = new List<string>();
        ListObjectsV2Response response;
        do
        {
            response = await Memory.S3.ListObjectsV2Async(request, cancellationToken);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);

        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        Memory.Dispose();
        await _owner.DisposeAsync();
    }
}

/// <summary>Writes a known amount of every kind of memory for an agent, through the API, part of its episodes moved to S3.</summary>
internal static class AgentSeed
{
    public const int ColdEpisodes = 12;
    public const int HotEpisodes = 3;

    /// <summary>What <see cref="WriteAsync"/> leaves readable: 2 state records, 2 live semantic memories (and 1 deleted), 15 episodes of which 12 cold.</summary>
    public sealed record Seeded(long State, long Semantic, long Episodes, long S3Objects, IReadOnlyList<string> SemanticIds);

    public static async Task<Seeded> WriteAsync(TestTenant tenant, MemoryHost host, string agentId, CancellationToken cancellationToken)
    {
        var api = tenant.Client;
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = agentId, data = new { plan = "refund", step = 1 } }, cancellationToken), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = agentId, session_id = "s2", data = new { cart = new[] { 1, 2 } }, ttl_hours = 24 }, cancellationToken), HttpStatusCode.Created);

        var ids = new List<string>();
        foreach (var content in (string[])[$"{agentId} prefers to be contacted by email.", $"{agentId} lives in Lisbon and travels by train.", "The order #1234 was refunded in full."])
        {
            var stored = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = agentId, content, metadata = new { source = "seed" } }, cancellationToken), HttpStatusCode.Created);
            ids.Add(stored.GetProperty("id").GetString()!);
        }

        var deleted = await api.DeleteAsync($"/v1/memory/semantic/{ids[^1]}", cancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        ids.RemoveAt(ids.Count - 1);

        await EpisodicApi.WriteAsync(api, agentId, ColdEpisodes, i => $"s{i % 2}", cancellationToken);
        var moved = await host.Mover.MovePartitionAsync($"{tenant.TenantId}#{agentId}", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, cancellationToken);
        Assert.Equal(ColdEpisodes, moved);
        await EpisodicApi.WriteAsync(api, agentId, HotEpisodes, _ => "s1", cancellationToken);

        var objects = (await host.ColdObjectKeysAsync(tenant.TenantId, agentId, cancellationToken)).Count;
        Assert.InRange(objects, 2, 4);
        return new Seeded(2, 2, ColdEpisodes + HotEpisodes, objects, ids);
    }

    public static async Task<JsonElement> PurgeAsync(HttpClient api, string agentId, CancellationToken cancellationToken) =>
        await Envelope.ReadDataAsync(await api.DeleteAsync($"/v1/memory/{agentId}", cancellationToken), HttpStatusCode.OK);

    /// <summary>The purge response's counts, from the per-store shape and checked against the flat one.</summary>
    public static (long State, long Semantic, long Episodic, long S3Objects) Counts(JsonElement purged)
    {
        var deleted = purged.GetProperty("deleted");
        var counts = (deleted.GetProperty("state").GetInt64(), deleted.GetProperty("semantic").GetInt64(), deleted.GetProperty("episodic").GetInt64(), deleted.GetProperty("s3_objects").GetInt64());
        Assert.Equal(counts.Item1, purged.GetProperty("state_deleted").GetInt64());
        Assert.Equal(counts.Item2, purged.GetProperty("semantic_deleted").GetInt64());
        Assert.Equal(counts.Item3, purged.GetProperty("episodes_deleted").GetInt64());
        return counts;
    }
}
