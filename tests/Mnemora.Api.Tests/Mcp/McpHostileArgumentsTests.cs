using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CsCheck;
using Mnemora.Api.Tests.Infrastructure;
using ModelContextProtocol;

namespace Mnemora.Api.Tests.Mcp;

/// <summary>
/// Tool arguments fuzzed by CsCheck like the routes' bodies: every call carries one defect the contract
/// refuses (an invalid identifier, a missing or mistyped argument, a number out of range, NUL, oversized
/// text). Each is a tool error with a 4xx code of the contract, never an internal one, and nothing is written.
/// </summary>
public sealed class McpHostileArgumentsTests(MnemoraApp system)
{
    private const int Calls = 400;
    private const string Agent = "fuzz-agent";
    private const string Session = "fuzz-session";
    private static readonly HashSet<string> s_refusals = new(StringComparer.Ordinal) { "VALIDATION_ERROR", "PAYLOAD_TOO_LARGE" };

    /// <summary>Identifiers every version of the contract refuses: empty, <c>#</c>, control characters, a lone surrogate, too long.</summary>
    // (Lone surrogates are refused too, but a JSON writer replaces them before they reach the wire: the unit tests cover them.)
    private static readonly string[] s_invalidIds = ["", "a#b", "#", "a\u0000b", "a\nb", "a\u0007", "a\u007Fb", "a\u0085b", new string('a', 257), new string('é', 129)];

    /// <summary>Each tool's valid arguments (aimed at the seeded agent), and which are identifiers, required, or of another type.</summary>
    private static readonly Dictionary<string, ToolShape> s_tools = new(StringComparer.Ordinal)
    {
        ["remember"] = new("""{"agent_id": "fuzz-agent", "content": "a fact", "namespace": "notes", "metadata": {"k": "v"}}""", ["agent_id"], ["agent_id", "content"]),
        ["recall"] = new("""{"query": "a fact", "agent_id": "fuzz-agent", "top_k": 5}""", ["agent_id"], ["query"]),
        ["forget"] = new("""{"id": "00000000-0000-0000-0000-000000000001"}""", [], ["id"]),
        ["get_state"] = new("""{"agent_id": "fuzz-agent", "session_id": "fuzz-session"}""", ["agent_id", "session_id"], ["agent_id"]),
        ["set_state"] = new("""{"agent_id": "fuzz-agent", "session_id": "fuzz-session", "data": {"step": 99}, "version": 1}""", ["agent_id", "session_id"], ["agent_id", "data"]),
        ["log_episode"] = new("""{"agent_id": "fuzz-agent", "session_id": "fuzz-session", "type": "action", "content": "did it", "metadata": {}}""", ["agent_id", "session_id"], ["agent_id", "session_id", "type", "content"]),
        ["replay_session"] = new("""{"agent_id": "fuzz-agent", "session_id": "fuzz-session"}""", ["agent_id", "session_id"], ["agent_id", "session_id"]),
        ["list_sessions"] = new("""{"agent_id": "fuzz-agent"}""", ["agent_id"], ["agent_id"]),
        ["summarize_session"] = new("""{"agent_id": "fuzz-agent", "session_id": "fuzz-session"}""", ["agent_id", "session_id"], ["agent_id", "session_id"]),
    };

    [Fact]
    public async Task HostileToolArgumentsAreRefusedWithTheContractsCodesAndChangeNothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        await using var mcp = await system.ConnectAsync(tenant.ApiKey, cancellationToken);
        (await mcp.CallAsync("remember", """{"agent_id": "fuzz-agent", "content": "The seeded fact."}""", cancellationToken)).Data();
        (await mcp.CallAsync("set_state", """{"agent_id": "fuzz-agent", "session_id": "fuzz-session", "data": {"step": 1}}""", cancellationToken)).Data();
        (await mcp.CallAsync("log_episode", """{"agent_id": "fuzz-agent", "session_id": "fuzz-session", "type": "observation", "content": "seeded"}""", cancellationToken)).Data();
        var before = await SnapshotAsync(tenant, cancellationToken);

        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Calls_().SampleAsync(async call =>
        {
            string text;
            try
            {
                var result = await mcp.CallAsync(call.Tool, call.Arguments, cancellationToken);
                text = result.Text();
                Assert.True(result.IsError == true, $"Accepted: {call} → {text}");
            }
            catch (McpProtocolException protocol) when (protocol.ErrorCode == McpErrorCode.InvalidParams)
            {
                // The protocol's own refusal of arguments that do not fit the schema is a refusal too.
                text = "VALIDATION_ERROR: " + protocol.Message;
            }

            var code = text.Split(':', 2)[0];
            Assert.True(s_refusals.Contains(code), $"{call} → {text}");
            outcomes.AddOrUpdate($"{call.Tool} {call.Defect} → {code}", 1, (_, n) => n + 1);
        }, iter: Calls, threads: 4, print: call => call.ToString());

        Assert.Equal(before, await SnapshotAsync(tenant, cancellationToken));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}")));
        Assert.All(s_tools.Keys, tool => Assert.Contains(outcomes.Keys, key => key.StartsWith(tool + " ", StringComparison.Ordinal)));
    }

    private sealed record ToolShape(string Valid, string[] Ids, string[] Required);

    private sealed record HostileCall(string Tool, string Defect, string Arguments)
    {
        public override string ToString() => $"{Tool} [{Defect}] {(Arguments.Length > 300 ? Arguments[..300] + "…" : Arguments)}";
    }

    private static Gen<HostileCall> Calls_() =>
        Gen.Select(Gen.OneOf(s_tools.Keys.ToArray()), Gen.Int[0, 5], Gen.Int[0, 1000], Gen.OneOf(s_invalidIds), (tool, defect, pick, invalidId) =>
        {
            var shape = s_tools[tool];
            var arguments = JsonNode.Parse(shape.Valid)!.AsObject();
            var name = Defect(tool, shape, defect, pick, invalidId, arguments);
            return new HostileCall(tool, name, arguments.ToJsonString());
        });

    /// <summary>Applies one defect the contract refuses; falls back to a missing required argument where the kind does not apply.</summary>
    private static string Defect(string tool, ToolShape shape, int kind, int pick, string invalidId, JsonObject arguments)
    {
        string Pick(string[] from) => from[pick % from.Length];
        switch (kind)
        {
            case 0 when shape.Ids.Length > 0:
                var id = Pick(shape.Ids);
                arguments[id] = invalidId;
                return $"invalid {id}";
            case 1:
                // An episode's content may be any JSON value, so no type is wrong for it.
                var typed = Pick([.. arguments.Select(a => a.Key).Where(k => !(tool == "log_episode" && k == "content"))]);
                arguments[typed] = WrongType(typed, pick);
                return $"wrong type {typed}";
            case 2 when tool is "recall":
                arguments["top_k"] = new int[] { 0, -1, 101, 100_000 }[pick % 4];
                return "top_k out of range";
            case 2 when tool is "set_state":
                arguments["version"] = new long[] { 0, -1, long.MinValue }[pick % 3];
                return "version out of range";
            case 3 when tool is "remember":
                arguments["content"] = new string[] { "", "   ", "a\u0000b", new string('x', 100_001) }[pick % 4];
                return "bad content";
            case 3 when tool is "recall":
                arguments["query"] = new string[] { "", "   ", new string('x', 100_001) }[pick % 3];
                return "bad query";
            case 3 when tool is "log_episode":
                arguments["type"] = new string[] { "dream", "", "CONVERSATION", "conversation\u0000" }[pick % 4];
                return "bad episode type";
            case 3 when tool is "forget":
                arguments["id"] = new string[] { "", "not-a-uuid", "00000000-0000-0000-0000-00000000000g", "' OR 1=1 --" }[pick % 4];
                return "bad uuid";
            case 4 when tool is "remember":
                arguments["metadata"] = JsonNode.Parse(new string[] { """{"a\u0000": 1}""", """{"a": "b\u0000"}""", "[1]", "\"text\"" }[pick % 4]);
                return "bad metadata";
            case 4 when tool is "set_state":
                arguments["data"] = JsonNode.Parse(new string[] { "[1]", "\"text\"", "42", "null" }[pick % 4]);
                return "data not an object";
            default:
                var missing = Pick(shape.Required);
                arguments.Remove(missing);
                return $"missing {missing}";
        }
    }

    /// <summary>A JSON value of a type the argument cannot take (no value that could also read as valid).</summary>
    private static JsonNode? WrongType(string argument, int pick) => argument switch
    {
        "top_k" or "version" => JsonNode.Parse(new string[] { "\"many\"", "1.5", "{}", "[1]", "true" }[pick % 5]),
        "data" or "metadata" => JsonNode.Parse(new string[] { "[]", "\"{}\"", "7", "true" }[pick % 4]),
        _ => JsonNode.Parse(new string[] { "42", "{}", "[\"a\"]", "true" }[pick % 4]),
    };

    private static async Task<string> SnapshotAsync(TestTenant tenant, CancellationToken cancellationToken)
    {
        var whole = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/{Agent}", cancellationToken), HttpStatusCode.OK);
        var sessions = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/state/{Agent}/sessions", cancellationToken), HttpStatusCode.OK);
        var episodes = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/episodic/{Agent}?session_id={Session}", cancellationToken), HttpStatusCode.OK);
        var usage = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        return string.Join("\n", whole.GetRawText(), sessions.GetRawText(), episodes.GetRawText(),
            usage.GetProperty("vectors_stored").GetRawText(), usage.GetProperty("agents_count").GetRawText(), usage.GetProperty("sessions_count").GetRawText());
    }
}
