using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> a service believes;
/// bound from <c>Mnemora:ForwardedHeaders</c>. Nothing is trusted unless listed here.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string SectionName = "Mnemora:ForwardedHeaders";

    /// <summary>Addresses of single proxies, e.g. <c>10.0.0.5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of proxies in CIDR notation, e.g. <c>10.0.0.0/24</c> for a load balancer's subnet.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>True when at least one proxy or network is listed.</summary>
    public bool Any => KnownProxies.Length > 0 || KnownNetworks.Length > 0;
}

public static class TrustedProxyExtensions
{
    /// <summary>
    /// Forwarded headers from the configured proxies only. ASP.NET Core trusts loopback by default and,
    /// with both lists empty, every sender; both are replaced, and with nothing configured no header is read.
    /// </summary>
    public static IHostApplicationBuilder AddTrustedProxies(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrustedProxyOptions>()
            .BindConfiguration(TrustedProxyOptions.SectionName)
            .Validate(options => options.KnownProxies.All(proxy => IPAddress.TryParse(proxy, out _)),
                $"{TrustedProxyOptions.SectionName}:KnownProxies must be IP addresses, e.g. 10.0.0.5.")
            .Validate(options => options.KnownNetworks.All(network => System.Net.IPNetwork.TryParse(network, out _)),
                $"{TrustedProxyOptions.SectionName}:KnownNetworks must be networks in CIDR notation, e.g. 10.0.0.0/8.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) => Configure(forwarded, trusted.Value));
        return builder;
    }

    /// <summary>Applies the trusted proxies' headers; put it first, so every later step sees the real client.</summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }

    private static void Configure(ForwardedHeadersOptions forwarded, TrustedProxyOptions trusted)
    {
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        if (!trusted.Any)
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.None;
            return;
        }

        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        foreach (var proxy in trusted.KnownProxies)
        {
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        foreach (var network in trusted.KnownNetworks)
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }
    }
}
