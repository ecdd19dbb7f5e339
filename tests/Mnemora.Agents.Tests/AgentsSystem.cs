using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Testing;

[assembly: AssemblyFixture(typeof(Mnemora.Agents.Tests.AgentsSystem))]

// One AppHost serves the assembly; tests run one at a time to stay light on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Mnemora.Agents.Tests;

/// <summary>The whole system as the AppHost starts it (process mode), once per test assembly, and the SDK registered as an application registers it.</summary>
public sealed class AgentsSystem : IAsyncLifetime
{
    private DirectoryInfo? _data;
    private ServiceProvider? _services;

    public DistributedApplication App { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-agents-test-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey, extraArgs: []);
        var apiUrl = App.GetEndpoint("api", "http");

        var services = new ServiceCollection();
        services.AddMnemoraClient(options => options.BaseAddress = apiUrl);
        services.AddMnemoraOperatorClient(options =>
        {
            options.BaseAddress = apiUrl;
            options.OperatorKey = OperatorKey;
        });
        _services = services.BuildServiceProvider();
    }

    /// <summary>A fresh tenant with a key; <see cref="NewClient"/> makes as many clients (as new processes would) as a test needs.</summary>
    public async Task<string> CreateTenantKeyAsync(CancellationToken cancellationToken)
    {
        var tenantId = $"t-{Guid.NewGuid():N}";
        var admin = _services!.GetRequiredService<MnemoraOperatorClient>();
        await admin.CreateTenantAsync(tenantId, $"Agents {tenantId}", TenantTier.Scale, cancellationToken);
        return (await admin.IssueKeyAsync(tenantId, "agents", cancellationToken)).ApiKey;
    }

    public MnemoraClient NewClient(string apiKey) => _services!.GetRequiredService<IMnemoraClientFactory>().CreateClient(apiKey);

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}

/// <summary>The model, scripted: answers each call with the next line and keeps every request it received.</summary>
public sealed class ScriptedChatClient(params string[] answers) : IChatClient
{
    private int _next;

    public List<IReadOnlyList<ChatMessage>> Requests { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Requests.Add([.. messages]);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answers[_next++ % answers.Length])));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var word in response.Text.Split(' '))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ");
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    /// <summary>Everything the model was shown in request <paramref name="index"/>, as one text.</summary>
    public string Seen(int index) => string.Join("\n", Requests[index].Select(m => $"{m.Role}: {m.Text}"));
}
