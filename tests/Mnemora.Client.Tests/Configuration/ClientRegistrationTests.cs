using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Configuration;

/// <summary><c>AddMnemoraClient</c> as an application uses it: settings from configuration or the environment, checked at start.</summary>
public sealed class ClientRegistrationTests(MnemoraApp system)
{
    [Fact]
    public async Task SettingsAreBoundFromTheMnemoraConfigurationSection()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mnemora:BaseAddress"] = system.ApiUrl.ToString(),
            ["Mnemora:ApiKey"] = tenant.ApiKey,
            ["Mnemora:Timeout"] = "00:00:20",
            ["Mnemora:Retry:MaxRetryAttempts"] = "1",
            ["Mnemora:Retry:MaxRetryAfter"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddMnemoraClient();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MnemoraClientOptions>>().Value;
        var usage = await provider.GetRequiredService<MnemoraClient>().GetUsageAsync(cancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(20), options.Timeout);
        Assert.Equal(1, options.Retry.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Retry.MaxRetryAfter);
        Assert.Equal(1, usage.ApiCallsToday);
    }

    [Fact]
    public async Task AGivenSectionIsBoundInsteadOfTheDefaultOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Memory:BaseAddress"] = system.ApiUrl.ToString(),
        }).Build();
        var services = new ServiceCollection();
        services.AddMnemoraClient(configuration.GetSection("Memory"));
        await using var provider = services.BuildServiceProvider();

        var health = await provider.GetRequiredService<IMnemoraClientFactory>().CreateClient("mnm_unused").GetHealthAsync(cancellationToken);

        Assert.Equal("healthy", health.Status);
    }

    [Fact]
    public async Task TheBaseAddressAndKeyFallBackToTheEnvironment()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var services = new ServiceCollection();
        services.AddMnemoraClient();
        await using var provider = services.BuildServiceProvider();

        // Tests run one at a time (see Properties.cs), so the process environment is ours for this test.
        var saved = (Url: Environment.GetEnvironmentVariable("MNEMORA_API_URL"), Key: Environment.GetEnvironmentVariable("MNEMORA_API_KEY"));
        Environment.SetEnvironmentVariable("MNEMORA_API_URL", system.ApiUrl.ToString());
        Environment.SetEnvironmentVariable("MNEMORA_API_KEY", tenant.ApiKey);
        try
        {
            var usage = await provider.GetRequiredService<MnemoraClient>().GetUsageAsync(cancellationToken);

            Assert.Equal(1, usage.ApiCallsToday);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MNEMORA_API_URL", saved.Url);
            Environment.SetEnvironmentVariable("MNEMORA_API_KEY", saved.Key);
        }
    }

    [Fact]
    public void AMissingBaseAddressFailsValidationNamingBothSettings()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("MNEMORA_API_URL") is { Length: > 0 }, "MNEMORA_API_URL is set here.");
        var services = new ServiceCollection();
        services.AddMnemoraClient();
        using var provider = services.BuildServiceProvider();

        var invalid = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MnemoraClientOptions>>().Value);

        Assert.Contains("Mnemora:BaseAddress", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("MNEMORA_API_URL", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOperatorClientWithoutAnOperatorKeyFailsValidation()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("MNEMORA_OPERATOR_KEY") is { Length: > 0 }, "MNEMORA_OPERATOR_KEY is set here.");
        var services = new ServiceCollection();
        services.AddMnemoraOperatorClient(options => options.BaseAddress = system.ApiUrl);
        using var provider = services.BuildServiceProvider();

        var invalid = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<MnemoraOperatorClient>());

        Assert.Contains("MNEMORA_OPERATOR_KEY", invalid.Message, StringComparison.Ordinal);
    }
}
