namespace Mnemora.Client;

/// <summary>
/// Settings of <see cref="MnemoraClient"/>, bound from the configuration section <c>Mnemora</c>
/// (<c>Mnemora:BaseAddress</c>, <c>Mnemora:ApiKey</c>, …) by <c>AddMnemoraClient</c>.
/// Unset values fall back to the environment: <c>MNEMORA_API_URL</c> and <c>MNEMORA_API_KEY</c>.
/// </summary>
public sealed class MnemoraClientOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Mnemora";

    /// <summary>The server's root URL, e.g. <c>http://localhost:5080</c> (routes are <c>/v1/…</c> below it). Falls back to <c>MNEMORA_API_URL</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The API key (<c>mnm_…</c>) that <see cref="IMnemoraClientFactory.CreateClient()"/> and an injected
    /// <see cref="MnemoraClient"/> use; falls back to <c>MNEMORA_API_KEY</c>. A platform with a key per
    /// customer leaves it unset and calls <see cref="IMnemoraClientFactory.CreateClient(string)"/>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one call may take in all, retries and their waits included. Default 100 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long one attempt may take. Default 30 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When and how failed calls are retried.</summary>
    public MnemoraRetryOptions Retry { get; set; } = new();
}

/// <summary>
/// Settings of <see cref="MnemoraOperatorClient"/>, bound from the configuration section <c>Mnemora</c>
/// (<c>Mnemora:BaseAddress</c>, <c>Mnemora:OperatorKey</c>) by <c>AddMnemoraOperatorClient</c>.
/// Unset values fall back to <c>MNEMORA_API_URL</c> and <c>MNEMORA_OPERATOR_KEY</c>.
/// </summary>
public sealed class MnemoraOperatorClientOptions
{
    /// <summary>The server's root URL, e.g. <c>http://localhost:5080</c> (routes are <c>/admin/v1/…</c> below it). Falls back to <c>MNEMORA_API_URL</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The operator key (the AppHost's secret parameter <c>operator-key</c>); falls back to <c>MNEMORA_OPERATOR_KEY</c>.</summary>
    public string? OperatorKey { get; set; }

    /// <summary>How long one call may take in all, retries and their waits included. Default 100 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long one attempt may take. Default 30 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When and how failed calls are retried.</summary>
    public MnemoraRetryOptions Retry { get; set; } = new();
}

/// <summary>
/// Retries of calls answered <c>429</c> or <c>5xx</c> (or not answered at all). A <c>Retry-After</c>
/// header decides the wait; without one the wait grows exponentially from <see cref="BaseDelay"/>.
/// </summary>
public sealed class MnemoraRetryOptions
{
    /// <summary>Retries after the first attempt; 0 turns retrying off. Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first wait when the server gives no <c>Retry-After</c>; it doubles with each retry (with jitter). Default 1 second.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest <c>Retry-After</c> the client waits out by itself. A longer one (the daily limit
    /// answers with the time to midnight UTC) is not retried: the call fails at once with
    /// <see cref="RateLimitedException.RetryAfter"/> set. Default 30 seconds.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether POST, PUT, PATCH and DELETE are retried too. Default true. False suits a caller that would
    /// rather see a failure than risk a write running twice (an operator console creating tenants or keys).
    /// </summary>
    public bool RetryUnsafeMethods { get; set; } = true;
}
