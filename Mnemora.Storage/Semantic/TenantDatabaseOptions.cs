using System.ComponentModel.DataAnnotations;

namespace Mnemora.Storage.Semantic;

/// <summary>How the API reaches PostgreSQL for tenant data; bound from <c>Mnemora:Postgres</c>.</summary>
public sealed class TenantDatabaseOptions
{
    public const string SectionName = "Mnemora:Postgres";

    /// <summary>
    /// Password of the <c>mnemora_app</c> role, which the API sets at start (as the owner of the
    /// connection string <c>postgres</c>) and then uses for every tenant query. The AppHost passes its
    /// secret parameter <c>postgres-app-password</c>.
    /// </summary>
    [Required, MinLength(16)]
    public string AppPassword { get; set; } = "";

    /// <summary>Connections the tenant pool may open.</summary>
    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>
    /// Connections one tenant may hold at once, of <see cref="MaxPoolSize"/>. A call over its tenant's share waits
    /// up to <see cref="ConnectTimeout"/> for one of that tenant's own calls to end, then is a 429.
    /// </summary>
    [Range(1, 1000)]
    public int MaxConnectionsPerTenant { get; set; } = 10;

    /// <summary>
    /// How long a transaction may sit idle between statements before the server ends it (and its locks): a request
    /// that stalls inside a transaction cannot hold a tenant's rows or a connection for long. An import embeds each
    /// batch of memories inside its transaction, so this bounds the wait for one batch's embeddings too.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a request waits to connect (or for a pooled connection): a server that is down is a quick 503, not a hang.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one statement may run: the client cancels it, and the server ends it by itself too (<c>statement_timeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
