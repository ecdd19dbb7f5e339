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

    /// <summary>How long a request waits to connect (or for a pooled connection): a server that is down is a quick 503, not a hang.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one statement may run.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
