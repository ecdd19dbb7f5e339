namespace Mnemora.Agents;

/// <summary>Which agent and session an integration remembers for, and how much it recalls.</summary>
public sealed class MnemoraMemoryOptions
{
    /// <summary>The session used when none is given: <c>default</c>, as in the API.</summary>
    public const string DefaultSession = "default";

    /// <summary>The agent whose memory is recalled and written (required).</summary>
    public string AgentId { get; set; } = "";

    /// <summary>The session the turns are logged in and whose state is recalled.</summary>
    public string SessionId { get; set; } = DefaultSession;

    /// <summary>At most this many memories are recalled before each call (1–100).</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Recall the session's working state too, as JSON.</summary>
    public bool IncludeState { get; set; }

    /// <summary>Log the user's and the assistant's turns as <c>conversation</c> episodes after each call.</summary>
    public bool LogTurns { get; set; } = true;

    /// <summary>The line that introduces the recalled memories to the model.</summary>
    public string ContextHeader { get; set; } = "Relevant memories about this user and conversation (from Mnemora; use them if they help):";

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(AgentId))
        {
            throw new ArgumentException("MnemoraMemoryOptions.AgentId is required.", nameof(AgentId));
        }

        if (string.IsNullOrWhiteSpace(SessionId))
        {
            throw new ArgumentException("MnemoraMemoryOptions.SessionId must not be empty.", nameof(SessionId));
        }

        if (TopK is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be between 1 and 100.");
        }
    }
}
