using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Mnemora.Client;

namespace Mnemora.Agents;

/// <summary>
/// The memory tools of Mnemora's MCP server as <see cref="AIFunction"/>s for function-calling agents,
/// bound to one agent: the model chooses what to remember or recall, never whose memory it is.
/// A refusal is returned to the model as text starting with the contract's error code (e.g. <c>NOT_FOUND: …</c>).
/// </summary>
public static class MnemoraTools
{
    private static readonly AIFunctionFactoryOptions s_json = new()
    {
        SerializerOptions = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        },
    };

    /// <summary>The tools <c>remember</c>, <c>recall</c>, <c>forget</c>, <c>get_state</c>, <c>set_state</c>, <c>log_episode</c>, <c>replay_session</c>, <c>list_sessions</c>, <c>summarize_session</c> and <c>usage</c> for <paramref name="agentId"/>.</summary>
    /// <param name="memory">The Mnemora client (its API key decides the tenant).</param>
    /// <param name="agentId">The agent whose memory the tools read and write.</param>
    /// <returns>The tools, to put in <see cref="ChatOptions.Tools"/>.</returns>
    public static IReadOnlyList<AIFunction> Create(MnemoraClient memory, string agentId)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        return
        [
            Tool("remember", "Stores a fact, preference or document in long-term memory, searchable later by meaning.",
                ([Description("The text to remember.")] string content, [Description("A namespace to group memories (default \"default\").")] string? @namespace = null, CancellationToken ct = default) =>
                    Call(() => memory.StoreMemoryAsync(agentId, content, @namespace, cancellationToken: ct))),
            Tool("recall", "Searches long-term memory and recent conversation by meaning, best match first.",
                ([Description("What to look for, in natural language.")] string query, [Description("At most this many results, 1-100 (default 10).")] int? top_k = null, CancellationToken ct = default) =>
                    Call(() => memory.SearchAllMemoryAsync(query, agentId, top_k, ct))),
            Tool("forget", "Deletes a memory by its id (as remember or recall returned it).",
                ([Description("The memory's id (a UUID).")] string id, CancellationToken ct) =>
                    Guid.TryParse(id, out var memoryId)
                        ? Call(async () => { await memory.DeleteMemoryAsync(memoryId, ct); return new { id = memoryId, deleted = true }; })
                        : Task.FromResult<object?>("VALIDATION_ERROR: id must be a UUID.")),
            Tool("get_state", "Reads the working state (a JSON object with a version) of a session.",
                ([Description("The session (default \"default\").")] string? session_id = null, CancellationToken ct = default) =>
                    Call(() => memory.GetStateAsync(agentId, session_id, ct))),
            Tool("set_state", "Writes the working state of a session. With version, only if nobody changed it since that version (CONFLICT otherwise).",
                ([Description("The state: a JSON object.")] JsonObject data, [Description("The session (default \"default\").")] string? session_id = null, [Description("The version last read.")] long? version = null, CancellationToken ct = default) =>
                    Call(() => version is { } v
                        ? memory.UpdateStateAsync(agentId, data, v, session_id, cancellationToken: ct)
                        : memory.StoreStateAsync(agentId, data, session_id, cancellationToken: ct))),
            Tool("log_episode", "Appends an event to a session's log: a conversation turn, an action, an observation or a tool call.",
                ([Description("The session.")] string session_id, [Description("One of conversation, action, observation, tool_call.")] EpisodeType type, [Description("What happened: text or any JSON.")] JsonNode content, CancellationToken ct) =>
                    Call(() => memory.StoreEpisodeAsync(agentId, session_id, type, content, cancellationToken: ct))),
            Tool("replay_session", "Replays a session's log in time order.",
                ([Description("The session.")] string session_id, CancellationToken ct) =>
                    Call(async () => new { episodes = await memory.ReplaySessionAsync(agentId, session_id, ct).ToListAsync(ct) })),
            Tool("list_sessions", "Lists the sessions that have working state.",
                (CancellationToken ct) => Call(async () => new { sessions = await memory.ListStateSessionsAsync(agentId, ct) })),
            Tool("summarize_session", "Condenses a session's log into one long-term memory, so it can be recalled later.",
                ([Description("The session.")] string session_id, CancellationToken ct) =>
                    Call(() => memory.SummarizeEpisodesAsync(agentId, session_id, cancellationToken: ct))),
            Tool("usage", "The tenant's calls, stored memories and limits.",
                (CancellationToken ct) => Call(() => memory.GetUsageAsync(ct))),
        ];
    }

    private static AIFunction Tool(string name, string description, Delegate method) =>
        AIFunctionFactory.Create(method, new AIFunctionFactoryOptions
        {
            Name = name,
            Description = description,
            SerializerOptions = s_json.SerializerOptions,
        });

    /// <summary>A refusal becomes text the model can act on, not an exception that ends the turn.</summary>
    private static async Task<object?> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (MnemoraException refused)
        {
            return $"{refused.Code}: {refused.Message}";
        }
    }
}
