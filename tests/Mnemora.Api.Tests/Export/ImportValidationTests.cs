using System.Buffers.Binary;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Semantic;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Tests.Export;

/// <summary>An import is validated whole before anything is written: a bad line is a 4xx naming it, and the tenant holds nothing afterwards.</summary>
[Collection(nameof(OldEpisodes))]
public sealed class ImportValidationTests(MnemoraApp system)
{
    private static readonly string s_past = EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow.AddDays(-2));

    private static readonly string s_state =
        $$"""{"memory_type":"state","agent_id":"agent-1","session_id":"default","data":{"k":1},"version":3,"created_at":"{{s_past}}","updated_at":"{{s_past}}","expires_at":null}""";

    private static readonly string s_episode =
        $$"""{"memory_type":"episode","id":"{{Guid.CreateVersion7():D}}","agent_id":"agent-1","session_id":"s1","type":"action","content":"booked","metadata":{},"timestamp":"{{s_past}}"}""";

    private static readonly string s_semantic =
        $$"""{"memory_type":"semantic","id":"{{Guid.CreateVersion7():D}}","agent_id":"agent-1","namespace":"default","content":"The office is closed on Mondays.","metadata":{"a":1},"created_at":"{{s_past}}","updated_at":"{{s_past}}"}""";

    public static TheoryData<string, string, int> BadFiles => new()
    {
        // case, file, the line the error must name
        { "invalid JSON", TransferClient.File([s_state, """{"memory_type":"episode",""", s_semantic]), 3 },
        { "not an object", TransferClient.File(["[1,2]", s_episode, s_semantic]), 2 },
        { "agent id with a hash", TransferClient.File([s_state.Replace("\"agent-1\"", "\"a#b\"", StringComparison.Ordinal), s_episode, s_semantic]), 2 },
        { "unknown memory type", TransferClient.File([s_state, s_episode, s_semantic.Replace("\"semantic\"", "\"procedural\"", StringComparison.Ordinal)]), 4 },
        { "unknown episode type", TransferClient.File([s_state, s_episode.Replace("\"action\"", "\"thought\"", StringComparison.Ordinal), s_semantic]), 3 },
        { "episode in the future", TransferClient.File([s_state, s_episode.Replace(s_past, EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow.AddDays(1)), StringComparison.Ordinal), s_semantic]), 3 },
        { "state version 0", TransferClient.File([s_state.Replace("\"version\":3", "\"version\":0", StringComparison.Ordinal), s_episode, s_semantic]), 2 },
        { "state data not an object", TransferClient.File([s_state.Replace("{\"k\":1}", "\"text\"", StringComparison.Ordinal), s_episode, s_semantic]), 2 },
        { "broken embedding", TransferClient.File([s_state, s_episode, s_semantic[..^1] + ",\"embedding\":\"AAAA\"}"]), 4 },
        { "bad timestamp", TransferClient.File([s_state, s_episode.Replace(s_past, "yesterday", StringComparison.Ordinal), s_semantic]), 3 },
        { "semantic memory twice", TransferClient.File([s_state, s_episode, s_semantic, s_semantic]), 5 },
        { "no header", TransferClient.File([s_state, s_episode, s_semantic], withHeader: false), 1 },
        { "another format version", TransferClient.File([s_state, s_episode, s_semantic]).Replace("\"format_version\":1", "\"format_version\":2", StringComparison.Ordinal), 1 },
        { "truncated: no end line", TransferClient.File([s_state, s_episode, s_semantic], withEnd: false), 5 },
        { "end line counts another file", TransferClient.File([s_state, s_episode, s_semantic]).Replace("\"episode\":1", "\"episode\":2", StringComparison.Ordinal), 5 },
        { "a record after the end line", TransferClient.File([s_state, s_episode, s_semantic]) + s_state + "\n", 6 },
        { "empty body", "", 1 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task ABadLineIs400NamingItAndNothingIsWritten(string @case, string file, int line)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var error = await Envelope.ReadErrorAsync(await tenant.ImportAsync(file, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var message = error.GetProperty("error").GetProperty("message").GetString()!;
        Assert.True(message.StartsWith($"Line {line} ", StringComparison.Ordinal), $"{@case}: {message}");
        await AssertNothingStoredAsync(tenant, ct);
    }

    [Fact]
    public async Task TheSameRecordsWithoutTheBadLineImport()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var imported = await tenant.ImportOkAsync(TransferClient.File([s_state, "", s_episode, s_semantic]), ct);
        Assert.Equal("""{"state":1,"episode":1,"semantic":1}""", imported.GetProperty("imported").GetRawText());
        Assert.Equal(1, imported.GetProperty("embeddings_generated").GetInt32());
        var state = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.OK);
        Assert.Equal(3, state.GetProperty("version").GetInt32());
        Assert.Equal(s_past, state.GetProperty("created_at").GetString());
    }

    [Fact]
    public async Task ALineLongerThanTheLimitIs413NamingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var huge = s_episode.Replace("\"booked\"", JsonSerializer.Serialize(new string('x', 5 * 1024 * 1024)), StringComparison.Ordinal);
        var error = await Envelope.ReadErrorAsync(await tenant.ImportAsync(TransferClient.File([s_state, huge]), ct), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.StartsWith("Line 3 ", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(tenant, ct);
    }

    [Fact]
    public async Task AnOversizeRecordIs413NamingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var big = s_episode.Replace("\"booked\"", JsonSerializer.Serialize(new string('x', 400_001)), StringComparison.Ordinal);
        var error = await Envelope.ReadErrorAsync(await tenant.ImportAsync(TransferClient.File([s_state, big, s_semantic]), ct), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.StartsWith("Line 3", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(tenant, ct);
    }

    [Fact]
    public async Task MoreMemoriesThanThePlanHoldsAre429BeforeAnythingIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", ct);
        var random = new Random(7);
        var memories = Enumerable.Range(0, 5_001).Select(i => SemanticLine($"fact number {i}", random)).ToList();
        await Envelope.ReadErrorAsync(await tenant.ImportAsync(TransferClient.File([s_state, .. memories]), ct), HttpStatusCode.TooManyRequests, "VECTOR_LIMIT_EXCEEDED");
        await AssertNothingStoredAsync(tenant, ct);
    }

    [Fact]
    public async Task AnImportThatWouldPassTheVectorCapWritesNothingOfAnyStore()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", ct);
        var random = new Random(11);
        var first = await tenant.ImportOkAsync(TransferClient.File([.. Enumerable.Range(0, 4_999).Select(i => SemanticLine($"fact number {i}", random))]), ct);
        Assert.Equal(4_999, first.GetProperty("imported").GetProperty("semantic").GetInt32());

        // Two more memories fit the file's own count but not the tenant's plan: the whole import is refused, its state too.
        var second = TransferClient.File([s_state, SemanticLine("one more", random), SemanticLine("and another", random)]);
        await Envelope.ReadErrorAsync(await tenant.ImportAsync(second, ct), HttpStatusCode.TooManyRequests, "VECTOR_LIMIT_EXCEEDED");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        var usage = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(4_999, usage.GetProperty("vectors_stored").GetInt64());
    }

    private static async Task AssertNothingStoredAsync(TestTenant tenant, CancellationToken ct)
    {
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/v1/memory/agent-1/export", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        var usage = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(0, usage.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(0, usage.GetProperty("storage_bytes").GetInt64());
        Assert.Equal(0, usage.GetProperty("agents_count").GetInt64());
    }

    private static string SemanticLine(string content, Random random)
    {
        var vector = SemanticDatabase.RandomUnitVector(random);
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["memory_type"] = "semantic",
            ["id"] = Guid.CreateVersion7().ToString("D"),
            ["agent_id"] = "agent-1",
            ["namespace"] = "default",
            ["content"] = content,
            ["metadata"] = new Dictionary<string, object>(),
            ["created_at"] = s_past,
            ["updated_at"] = s_past,
            ["embedding"] = Convert.ToBase64String(bytes),
        });
    }
}
