using Mnemora.Storage.Memory;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Memory;

/// <summary>
/// Ids as agent frameworks send them (<c>|</c>, <c>/</c>, spaces, <c>..</c>, escapes, any script) keep
/// keys of their own in DynamoDB and S3: ids that a naive join would confuse (<c>a|b</c> and <c>a</c>,
/// <c>user/42</c> and <c>user</c>) never share a partition, an item or an S3 prefix, hot or cold.
/// </summary>
public sealed class IdentifierKeyTests(StoreSystem system)
{
    private static readonly string[] s_agents =
    [
        "a", "a|b", "user", "user/42", "/", "../x", "..%2F", "%2F", "crew agent", " lead", "Müller", "名前", "🙂", "~YQ", "a:b@c", new string('z', 256),
    ];

    private static readonly string[] s_sessions = ["s|1", "s", "s/../1", "ns:parent|child:1"];

    [Fact]
    public async Task EveryIdKeepsItsOwnEpisodesHotAndColdAndItsOwnS3Prefix()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = $"t-{Guid.NewGuid():N}";
        var written = new Dictionary<string, List<EpisodeRecord>>(StringComparer.Ordinal);
        foreach (var agent in s_agents)
        {
            written[agent] = [];
            foreach (var session in s_sessions)
            {
                written[agent].Add(await host.Episodes.AppendAsync(tenant, agent, session, "conversation", $$"""{"agent":{{System.Text.Json.JsonSerializer.Serialize(agent)}}}""", "{}", UsageLimits.Unlimited, ct));
            }
        }

        // Half of the agents' episodes go cold: reads must not change, and each agent's objects sit under its own prefix.
        var cutoff = EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~";
        foreach (var agent in s_agents.Where((_, i) => i % 2 == 0))
        {
            Assert.Equal(s_sessions.Length, await host.Mover.MovePartitionAsync(MemoryKeys.Partition(tenant, agent), cutoff, null, ct));
        }

        foreach (var agent in s_agents)
        {
            var read = await host.ReadAllAsync(tenant, agent, new EpisodeQuery(), ct);
            Assert.Equal(written[agent], read);
            foreach (var session in s_sessions)
            {
                Assert.Equal(written[agent].Where(e => e.SessionId == session), await host.ReadAllAsync(tenant, agent, new EpisodeQuery(SessionId: session), ct));
            }
        }

        var purge = host.Get<AgentPurge>();
        var keys = await host.ObjectKeysAsync(MemoryKeys.ColdTenantPrefix(tenant), ct);
        var withObjects = (await purge.AgentsWithObjectsAsync(tenant, ct)).Order(StringComparer.Ordinal).ToList();
        Assert.True(s_agents.Where((_, i) => i % 2 == 0).Order(StringComparer.Ordinal).SequenceEqual(withObjects),
            $"Agents with objects: {string.Join(", ", withObjects)}; keys: {string.Join(", ", keys)}");
        Assert.All(keys, key => Assert.True(key.Length <= 1024, $"An S3 key longer than S3 allows: {key.Length}"));
        foreach (var agent in s_agents.Where((_, i) => i % 2 == 0))
        {
            Assert.Equal(s_sessions.Length, (await host.ColdObjectKeysAsync(tenant, agent, ct)).Count);
        }

        // Purging "a" leaves "a|b" whole, hot and cold; purging "user" leaves "user/42".
        foreach (var (gone, kept) in new[] { ("a", "a|b"), ("user", "user/42"), ("/", "%2F") })
        {
            var counts = await purge.PurgeAsync(tenant, gone, ct);
            Assert.Equal(s_sessions.Length, counts.Episodes);
            Assert.Empty(await host.ReadAllAsync(tenant, gone, new EpisodeQuery(), ct));
            Assert.Equal(written[kept], await host.ReadAllAsync(tenant, kept, new EpisodeQuery(), ct));
        }

        Assert.Equal(keys.Count - (3 * s_sessions.Length), (await host.ObjectKeysAsync(MemoryKeys.ColdTenantPrefix(tenant), ct)).Count);
    }
}
