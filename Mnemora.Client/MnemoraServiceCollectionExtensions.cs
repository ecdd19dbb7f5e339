using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mnemora.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Mnemora clients with dependency injection, over <see cref="IHttpClientFactory"/>.</summary>
public static class MnemoraServiceCollectionExtensions
{
    /// <summary>The environment variable with the server's root URL (as the Python SDK reads it).</summary>
    public const string ApiUrlVariable = "MNEMORA_API_URL";

    /// <summary>The environment variable with a tenant's API key.</summary>
    public const string ApiKeyVariable = "MNEMORA_API_KEY";

    /// <summary>The environment variable with the operator key.</summary>
    public const string OperatorKeyVariable = "MNEMORA_OPERATOR_KEY";

    private const string OperatorHttpClientName = "Mnemora.Operator";

    /// <summary>
    /// Registers <see cref="IMnemoraClientFactory"/> and <see cref="MnemoraClient"/> (with the configured key).
    /// Options come from the configuration section <c>Mnemora</c> when an <see cref="IConfiguration"/> is
    /// registered, then <paramref name="configure"/>, then <c>MNEMORA_API_URL</c> / <c>MNEMORA_API_KEY</c> for what is still unset;
    /// they are validated at start. The HTTP client retries 429 and 5xx honouring <c>Retry-After</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options in code, after configuration.</param>
    /// <returns>The HTTP client's builder, to add handlers (e.g. a primary handler in tests).</returns>
    public static IHttpClientBuilder AddMnemoraClient(this IServiceCollection services, Action<MnemoraClientOptions>? configure = null) =>
        services.AddMnemoraClient(
            (options, provider) => provider.GetService<IConfiguration>()?.GetSection(MnemoraClientOptions.SectionName).Bind(options),
            configure);

    /// <summary>
    /// Registers <see cref="IMnemoraClientFactory"/> and <see cref="MnemoraClient"/>, bound to the given
    /// configuration section (keys <c>BaseAddress</c>, <c>ApiKey</c>, <c>Timeout</c>, <c>AttemptTimeout</c>, <c>Retry:*</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section with the client's settings.</param>
    /// <returns>The HTTP client's builder.</returns>
    public static IHttpClientBuilder AddMnemoraClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddMnemoraClient((options, _) => configuration.Bind(options), configure: null);
    }

    /// <summary>
    /// Registers <see cref="MnemoraOperatorClient"/> for <c>/admin/v1</c>. Options come from the section
    /// <c>Mnemora</c> (<c>BaseAddress</c>, <c>OperatorKey</c>), then <paramref name="configure"/>, then
    /// <c>MNEMORA_API_URL</c> / <c>MNEMORA_OPERATOR_KEY</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options in code, after configuration.</param>
    /// <returns>The HTTP client's builder.</returns>
    public static IHttpClientBuilder AddMnemoraOperatorClient(this IServiceCollection services, Action<MnemoraOperatorClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MnemoraOperatorClientOptions>()
            .Configure<IServiceProvider>((o, provider) => provider.GetService<IConfiguration>()?.GetSection(MnemoraClientOptions.SectionName).Bind(o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .PostConfigure(o =>
            {
                o.BaseAddress ??= UriFromEnvironment();
                o.OperatorKey ??= FromEnvironment(OperatorKeyVariable);
            })
            .Validate(o => IsServerUrl(o.BaseAddress), $"Mnemora:BaseAddress (or {ApiUrlVariable}) must be the server's absolute http(s) URL, e.g. http://localhost:5080.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.OperatorKey), $"Mnemora:OperatorKey (or {OperatorKeyVariable}) is required.")
            .Validate(o => AreValid(o.Timeout, o.AttemptTimeout, o.Retry), "Mnemora timeouts must be positive and Retry settings non-negative.")
            .ValidateOnStart();

        services.TryAddTransient(provider => new MnemoraOperatorClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(OperatorHttpClientName),
            provider.GetRequiredService<IOptions<MnemoraOperatorClientOptions>>().Value.OperatorKey!));

        var http = services
            .AddHttpClient(OperatorHttpClientName, (provider, client) => Prepare(client, provider.GetRequiredService<IOptions<MnemoraOperatorClientOptions>>().Value.BaseAddress!));
        http.AddResilienceHandler("mnemora-operator", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<MnemoraOperatorClientOptions>>().Value;
                MnemoraRetry.Configure(pipeline, o.Timeout, o.AttemptTimeout, o.Retry, context.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System);
            });
        return http;
    }

    private static IHttpClientBuilder AddMnemoraClient(this IServiceCollection services, Action<MnemoraClientOptions, IServiceProvider> bind, Action<MnemoraClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MnemoraClientOptions>().Configure(bind);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .PostConfigure(o =>
            {
                o.BaseAddress ??= UriFromEnvironment();
                o.ApiKey ??= FromEnvironment(ApiKeyVariable);
            })
            .Validate(o => IsServerUrl(o.BaseAddress), $"Mnemora:BaseAddress (or {ApiUrlVariable}) must be the server's absolute http(s) URL, e.g. http://localhost:5080.")
            .Validate(o => AreValid(o.Timeout, o.AttemptTimeout, o.Retry), "Mnemora timeouts must be positive and Retry settings non-negative.")
            .ValidateOnStart();

        services.TryAddSingleton<IMnemoraClientFactory, MnemoraClientFactory>();
        services.TryAddTransient(provider => provider.GetRequiredService<IMnemoraClientFactory>().CreateClient());

        var http = services
            .AddHttpClient(MnemoraClientFactory.HttpClientName, (provider, client) => Prepare(client, provider.GetRequiredService<IOptions<MnemoraClientOptions>>().Value.BaseAddress!));
        http.AddResilienceHandler("mnemora", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<MnemoraClientOptions>>().Value;
                MnemoraRetry.Configure(pipeline, o.Timeout, o.AttemptTimeout, o.Retry, context.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System);
            });
        return http;
    }

    /// <summary>The base address ends with '/' so that relative routes keep any path prefix; timeouts are the pipeline's.</summary>
    private static void Prepare(HttpClient http, Uri baseAddress)
    {
        http.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        http.Timeout = Timeout.InfiniteTimeSpan;
    }

    private static bool IsServerUrl(Uri? uri) => uri is { IsAbsoluteUri: true } && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static bool AreValid(TimeSpan timeout, TimeSpan attemptTimeout, MnemoraRetryOptions? retry) =>
        timeout > TimeSpan.Zero && attemptTimeout > TimeSpan.Zero && retry is { MaxRetryAttempts: >= 0 } && retry.BaseDelay >= TimeSpan.Zero && retry.MaxRetryAfter >= TimeSpan.Zero;

    private static string? FromEnvironment(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    private static Uri? UriFromEnvironment() => Uri.TryCreate(FromEnvironment(ApiUrlVariable), UriKind.Absolute, out var uri) ? uri : null;
}
