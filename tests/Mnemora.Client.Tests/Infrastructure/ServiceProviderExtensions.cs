using Microsoft.Extensions.DependencyInjection;

namespace Mnemora.Client.Tests.Infrastructure;

internal static class ServiceProviderExtensions
{
    /// <summary>One of the SDK's named HTTP clients, with its base address and resilience handler.</summary>
    public static HttpClient GetHttpClient(this IServiceProvider services, string name) =>
        services.GetRequiredService<IHttpClientFactory>().CreateClient(name);
}
