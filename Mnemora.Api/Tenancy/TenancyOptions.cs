using System.ComponentModel.DataAnnotations;

namespace Mnemora.Api.Tenancy;

/// <summary>Authentication settings, bound from <c>Mnemora</c> (the AppHost sets <c>Mnemora:OperatorKey</c> from its <c>operator-key</c> secret).</summary>
public sealed class TenancyOptions
{
    public const string SectionName = "Mnemora";

    /// <summary>The key of the operator API (<c>/admin/v1</c>).</summary>
    [Required(ErrorMessage = "Mnemora:OperatorKey is required: the AppHost passes its 'operator-key' parameter."), MinLength(16)]
    public string OperatorKey { get; set; } = string.Empty;

    /// <summary>How long a replica trusts a key lookup; revocation takes effect within this time (the contract allows 5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:04")]
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a key's <c>last_used_at</c> is written at most.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LastUsedResolution { get; set; } = TimeSpan.FromMinutes(1);
}
