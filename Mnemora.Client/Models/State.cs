using System.Text.Json.Nodes;

namespace Mnemora.Client;

/// <summary>An agent session's working memory: one versioned JSON object (the contract's <c>StateResponse</c>).</summary>
/// <param name="AgentId">The agent the state belongs to.</param>
/// <param name="SessionId">The session within the agent (<c>default</c> unless given).</param>
/// <param name="Data">The state itself, a JSON object.</param>
/// <param name="Version">1 when created, one more with each write; pass it to <see cref="MnemoraClient.UpdateStateAsync"/>.</param>
/// <param name="CreatedAt">When the state was first written (UTC).</param>
/// <param name="UpdatedAt">When the state was last written (UTC).</param>
/// <param name="ExpiresAt">When the state expires (UTC); null without a time to live.</param>
public sealed record AgentState(
    string AgentId,
    string SessionId,
    JsonObject Data,
    long Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt);

internal sealed record StoreStateRequest(string AgentId, JsonObject Data, string? SessionId, int? TtlHours);

internal sealed record UpdateStateRequest(JsonObject Data, long Version, string? SessionId, int? TtlHours);

internal sealed record SessionList(IReadOnlyList<string> Sessions);
