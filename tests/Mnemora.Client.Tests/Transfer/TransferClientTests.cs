using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Transfer;

/// <summary>Export as a stream or line by line, import from a stream, through the SDK against the real API.</summary>
public sealed class TransferClientTests(MnemoraApp system)
{
    private const string Agent = "export-agent";

    [Fact]
    public async Task AnAgentsExportImportsIntoAnotherTenantWithEveryRecord()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var source = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        var target = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        var state = await source.StoreStateAsync(Agent, new JsonObject { ["step"] = 3 }, "checkout", cancellationToken: cancellationToken);
        var episode = await source.StoreEpisodeAsync(Agent, "checkout", EpisodeType.Conversation, "Where is my parcel?", cancellationToken: cancellationToken);
        await source.StoreMemoryAsync(Agent, "The customer lives in Utrecht and prefers evening deliveries.", cancellationToken: cancellationToken);

        using var file = new MemoryStream();
        await using (var export = await source.ExportAgentAsync(Agent, cancellationToken: cancellationToken))
        {
            await export.CopyToAsync(file, cancellationToken);
        }

        file.Position = 0;
        var imported = await target.ImportAsync(file, cancellationToken);

        Assert.Equal(3, imported.Records);
        Assert.Equal(new ImportedCounts(1, 1, 1), imported.Imported);
        Assert.Equal(0, imported.EmbeddingsGenerated);
        var copy = await target.GetStateAsync(Agent, "checkout", cancellationToken);
        Assert.Equal((state.Version, 3), (copy.Version, copy.Data["step"]!.GetValue<int>()));
        Assert.Equal(episode.Id, Assert.Single(await target.ListEpisodesAsync(Agent, cancellationToken: cancellationToken).ToListAsync(cancellationToken)).Id);
        Assert.Equal(1, await target.GetVectorCountAsync(cancellationToken));

        // The same file again duplicates nothing.
        file.Position = 0;
        var again = await target.ImportAsync(file, cancellationToken);
        Assert.Equal(1, again.Skipped.ExistingEpisode);
        Assert.Equal(1, await target.GetVectorCountAsync(cancellationToken));
    }

    [Fact]
    public async Task AnExportReadsLineByLineFromHeaderToEndLine()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        await client.StoreEpisodeAsync(Agent, "s1", EpisodeType.Action, "opened ticket 12", cancellationToken: cancellationToken);
        await client.StoreMemoryAsync(Agent, "Ticket 12 is about a damaged blender.", cancellationToken: cancellationToken);

        var lines = await client.ReadAgentExportAsync(Agent, includeEmbeddings: false, cancellationToken).ToListAsync(cancellationToken);

        Assert.Equal("mnemora-export", lines[0]["format"]!.GetValue<string>());
        Assert.Equal(Agent, lines[0]["agent_id"]!.GetValue<string>());
        Assert.Null(lines[0]["embedding_encoding"]);
        Assert.Equal(["episode", "semantic"], lines[1..^1].Select(l => l["memory_type"]!.GetValue<string>()));
        Assert.All(lines[1..^1], l => Assert.False(l.ContainsKey("embedding")));
        Assert.True(lines[^1]["end"]!.GetValue<bool>());
        Assert.Equal(2, lines[^1]["records"]!.GetValue<int>());

        var withEmbeddings = await client.ReadAgentExportAsync(Agent, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal("f32le-base64", withEmbeddings[0]["embedding_encoding"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(withEmbeddings.Single(l => l["memory_type"]?.GetValue<string>() == "semantic")["embedding"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnAgentWithNothingToExportIsNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await Assert.ThrowsAsync<NotFoundException>(() => client.ExportAgentAsync("nobody-here", cancellationToken: cancellationToken));
    }

    [Fact]
    public async Task ABadFileIsAValidationErrorThatNamesTheLineAndWritesNothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        using var file = new MemoryStream("{\"format\":\"mnemora-export\",\"format_version\":1,\"scope\":\"agent\"}\nnot json\n"u8.ToArray());

        var error = await Assert.ThrowsAsync<ValidationException>(() => client.ImportAsync(file, cancellationToken));

        Assert.Contains("Line 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetUsageAsync(cancellationToken)).AgentsCount);
    }

    [Fact]
    public async Task AnOperatorsTenantExportHoldsEveryAgentAndRestoresIntoAFreshTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var source = await system.CreateTenantAsync(TenantTier.Starter, cancellationToken);
        var target = (await system.CreateTenantAsync(TenantTier.Starter, cancellationToken)).Client;
        await source.Client.StoreStateAsync("agent-a", new JsonObject { ["a"] = 1 }, cancellationToken: cancellationToken);
        await source.Client.StoreEpisodeAsync("agent-b", "s1", EpisodeType.Observation, "the printer is out of toner", cancellationToken: cancellationToken);

        var lines = await system.Operator.ReadTenantExportAsync(source.TenantId, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal("tenant", lines[0]["scope"]!.GetValue<string>());
        // The agents' records, then the tenant's audit events (ids and outcomes only), then the end line.
        var records = lines[1..^1].Where(l => l["audit_event"] is null).ToList();
        Assert.Equal(["agent-a", "agent-b"], records.Select(l => l["agent_id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Contains(lines, l => l["audit_event"] is JsonObject audit && audit["action"]?.GetValue<string>() == "tenant.created");

        await using var export = await system.Operator.ExportTenantAsync(source.TenantId, includeEmbeddings: false, cancellationToken);
        var imported = await target.ImportAsync(export, cancellationToken);

        Assert.Equal(new ImportedCounts(1, 1, 0), imported.Imported);
        Assert.Equal(1, (await target.GetStateAsync("agent-a", cancellationToken: cancellationToken)).Data["a"]!.GetValue<int>());
    }
}
