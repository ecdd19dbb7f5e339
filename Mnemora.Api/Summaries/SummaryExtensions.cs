using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Mnemora.Api.Summaries;

internal static class SummaryExtensions
{
    /// <summary>
    /// The episode summarizer: a chat model when <c>Mnemora:Summaries:Model</c> is set (an OpenAI-compatible
    /// endpoint), otherwise the offline extractive one. The chat client is created only when configured, so
    /// an unconfigured server never calls the network for a summary.
    /// </summary>
    public static IHostApplicationBuilder AddSummaries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SummaryOptions>()
            .BindConfiguration(SummaryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ExtractiveSummarizer>();
        builder.Services.AddSingleton<IEpisodeSummarizer>(services =>
        {
            var options = services.GetRequiredService<IOptions<SummaryOptions>>();
            return options.Value.UsesChatModel
                ? ActivatorUtilities.CreateInstance<ChatSummarizer>(services, CreateChatClient(options.Value, services))
                : services.GetRequiredService<ExtractiveSummarizer>();
        });
        builder.Services.AddScoped<SummaryService>();
        return builder;
    }

    private static IChatClient CreateChatClient(SummaryOptions options, IServiceProvider services)
    {
        var client = new OpenAIClient(
            new ApiKeyCredential(string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey),
            new OpenAIClientOptions { Endpoint = options.Endpoint, NetworkTimeout = options.ChatTimeout });
        return client.GetChatClient(options.Model).AsIChatClient()
            .AsBuilder()
            .UseOpenTelemetry(sourceName: "Mnemora.Summaries")
            .Build(services);
    }
}
