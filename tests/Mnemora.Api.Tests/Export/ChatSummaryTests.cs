using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Export;

/// <summary>With <c>Mnemora:Summaries:Model</c> set, summaries come from that OpenAI-compatible chat model; when it fails, the extractive summary is stored.</summary>
public sealed class ChatSummaryTests(ChatSummaryTests.ChatSystem system) : IClassFixture<ChatSummaryTests.ChatSystem>
{
    private const string ModelAnswer = "Ana was charged twice for May; a refund of 19 euros was promised within 5 business days.";

    [Fact]
    public async Task TheConfiguredChatModelWritesTheSummaryFromTheEpisodes()
    {
        var ct = TestContext.Current.CancellationToken;
        system.Model.Fails = false;
        var earlier = system.Model.Requests.Count;
        using var tenant = await system.CreateTenantClientAsync(ct);
        await WriteAsync(tenant, ct);

        var summary = await Envelope.ReadDataAsync(await tenant.PostAsJsonAsync("/v1/memory/episodic/agent-1/summarize", new { session_id = "ticket-42" }, ct), HttpStatusCode.Created);
        Assert.Equal(ModelAnswer, summary.GetProperty("content").GetString());
        Assert.Equal("chat", summary.GetProperty("metadata").GetProperty("method").GetString());

        var request = Assert.Single(system.Model.Requests.Skip(earlier));
        using var body = JsonDocument.Parse(request);
        Assert.Equal("fake-model", body.RootElement.GetProperty("model").GetString());
        var prompt = body.RootElement.GetProperty("messages")[1].GetProperty("content").GetString()!;
        Assert.StartsWith("Summary of 2 episode(s), session ticket-42", prompt, StringComparison.Ordinal);
        Assert.Contains("conversation, session ticket-42] I was charged twice for May.", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailingChatModelFallsBackToTheExtractiveSummary()
    {
        var ct = TestContext.Current.CancellationToken;
        system.Model.Fails = true;
        using var tenant = await system.CreateTenantClientAsync(ct);
        await WriteAsync(tenant, ct);

        var summary = await Envelope.ReadDataAsync(await tenant.PostAsJsonAsync("/v1/memory/episodic/agent-1/summarize", new { session_id = "ticket-42" }, ct), HttpStatusCode.Created);
        Assert.Equal("extractive", summary.GetProperty("metadata").GetProperty("method").GetString());
        Assert.StartsWith("Summary of 2 episode(s), session ticket-42", summary.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    private static async Task WriteAsync(HttpClient tenant, CancellationToken ct)
    {
        foreach (var text in (string[])["I was charged twice for May.", "Refund of 19 euros promised within 5 business days."])
        {
            await Envelope.ReadDataAsync(await tenant.PostAsJsonAsync("/v1/memory/episodic",
                new { agent_id = "agent-1", session_id = "ticket-42", type = "conversation", content = text }, ct), HttpStatusCode.Created);
        }
    }

    /// <summary>A system of its own whose API is configured with a chat model: a fake OpenAI-compatible endpoint on loopback.</summary>
    public sealed class ChatSystem : IAsyncLifetime
    {
        private readonly string _operatorKey = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        private DirectoryInfo _data = null!;
        private DistributedApplication _app = null!;

        public FakeChatModel Model { get; } = new();

        public async ValueTask InitializeAsync()
        {
            Model.Start();
            _data = MnemoraApp.CreateDataDirectory("mnemora-chat-");
            _app = await MnemoraApp.StartAsync(_data.FullName, _operatorKey,
                ["--Mnemora:Summaries:Model=fake-model", $"--Mnemora:Summaries:Endpoint={Model.Endpoint}", "--Mnemora:Summaries:ChatTimeout=00:00:10"]);
        }

        public async Task<HttpClient> CreateTenantClientAsync(CancellationToken ct)
        {
            var tenantId = $"t-{Guid.NewGuid():N}";
            using var admin = _app.CreateHttpClient("api", "http");
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _operatorKey);
            await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, tier = "pro" }, ct), HttpStatusCode.Created);
            var key = (await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { }, ct), HttpStatusCode.Created))
                .GetProperty("api_key").GetString();
            var client = _app.CreateHttpClient("api", "http");
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }

            MnemoraSystem.DeleteDataDirectory(_data);
            Model.Dispose();
        }
    }

    /// <summary><c>POST /v1/chat/completions</c> on loopback: records each request and answers <see cref="ModelAnswer"/>, or 400 while <see cref="Fails"/>.</summary>
    public sealed class FakeChatModel : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _requests = [];

        public bool Fails { get; set; }

        public Uri Endpoint { get; private set; } = null!;

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public void Start()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            Endpoint = new Uri($"http://127.0.0.1:{port}/v1");
            _ = Task.Run(ServeAsync);
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                {
                    var body = await reader.ReadToEndAsync();
                    lock (_requests)
                    {
                        _requests.Add(body);
                    }
                }

                var answer = Fails
                    ? """{"error":{"message":"model unavailable","type":"invalid_request_error"}}"""
                    : JsonSerializer.Serialize(new
                    {
                        id = "chatcmpl-1",
                        @object = "chat.completion",
                        created = 1_700_000_000,
                        model = "fake-model",
                        choices = new[] { new { index = 0, message = new { role = "assistant", content = ModelAnswer }, finish_reason = "stop" } },
                        usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
                    });
                context.Response.StatusCode = Fails ? 400 : 200;
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(answer);
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }
    }
}
