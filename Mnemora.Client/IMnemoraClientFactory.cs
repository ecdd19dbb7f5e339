using Microsoft.Extensions.Options;

namespace Mnemora.Client;

/// <summary>
/// Creates <see cref="MnemoraClient"/>s that share one pooled, resilient HTTP pipeline. A platform
/// with a key per customer keeps one factory and creates a client per customer key.
/// </summary>
public interface IMnemoraClientFactory
{
    /// <summary>A client with the configured key (<c>Mnemora:ApiKey</c> or <c>MNEMORA_API_KEY</c>).</summary>
    /// <returns>The client.</returns>
    /// <exception cref="InvalidOperationException">No key is configured.</exception>
    MnemoraClient CreateClient();

    /// <summary>A client that sends <paramref name="apiKey"/>, and so sees only that key's tenant.</summary>
    /// <param name="apiKey">A tenant's API key (<c>mnm_…</c>).</param>
    /// <returns>The client.</returns>
    MnemoraClient CreateClient(string apiKey);
}

internal sealed class MnemoraClientFactory(IHttpClientFactory httpClients, IOptions<MnemoraClientOptions> options) : IMnemoraClientFactory
{
    public const string HttpClientName = "Mnemora";

    public MnemoraClient CreateClient() => CreateClient(options.Value.ApiKey
        ?? throw new InvalidOperationException("No Mnemora API key is configured: set Mnemora:ApiKey or MNEMORA_API_KEY, or call CreateClient(apiKey)."));

    public MnemoraClient CreateClient(string apiKey) => new(httpClients.CreateClient(HttpClientName), apiKey);
}
