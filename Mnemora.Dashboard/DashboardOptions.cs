using System.ComponentModel.DataAnnotations;

namespace Mnemora.Dashboard;

/// <summary>The dashboard's settings, bound from <c>Mnemora</c>; the AppHost passes both secrets as environment variables.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Mnemora";

    /// <summary>The key of the API's operator routes; it stays on the server and never reaches a browser.</summary>
    [Required(ErrorMessage = "Mnemora:OperatorKey is required: the AppHost passes its 'operator-key' parameter."), MinLength(16)]
    public string OperatorKey { get; set; } = string.Empty;

    /// <summary>The password the operator signs in with.</summary>
    [Required(ErrorMessage = "Mnemora:DashboardPassword is required: the AppHost passes its 'dashboard-password' parameter."), MinLength(8)]
    public string DashboardPassword { get; set; } = string.Empty;

    /// <summary>Where the API is; <c>http://api</c> resolves through Aspire service discovery.</summary>
    [Required]
    public Uri ApiBaseAddress { get; set; } = new("http://api");

    /// <summary>How long a sign-in lasts without activity.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
