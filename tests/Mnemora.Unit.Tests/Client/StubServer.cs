using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Mnemora.Client.Tests.Resilience;

/// <summary>
/// Plays a script of answers in place of the network, recording when each request arrived. Used
/// only to time the retry policy (a real 429 asks to wait until midnight); every other SDK test runs against the real system.
/// </summary>
internal sealed class StubServer : HttpMessageHandler
{
    private readonly ConcurrentQueue<Func<HttpResponseMessage>> _script = new();
    private readonly Func<HttpResponseMessage> _fallback;

    public StubServer(Func<HttpResponseMessage>? fallback = null) =>
        _fallback = fallback ?? (() => throw new InvalidOperationException("The stub's script is over."));

    public List<(TimeSpan At, HttpMethod Method, string Path, string Query, string? Body)> Requests { get; } = [];

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public StubServer Then(Func<HttpResponseMessage> answer)
    {
        _script.Enqueue(answer);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Requests)
        {
            Requests.Add((_clock.Elapsed, request.Method, request.RequestUri!.AbsolutePath, request.RequestUri.Query, body));
        }

        var response = _script.TryDequeue(out var next) ? next() : _fallback();
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Problem(HttpStatusCode status, string code, RetryConditionHeaderValue? retryAfter = null)
    {
        var json = $$"""
            {"type":"https://httpstatuses.io/{{(int)status}}","title":"t","status":{{(int)status}},"detail":"stub {{code}}",
             "error":{"code":"{{code}}","message":"stub {{code}}"},"meta":{"request_id":"req-stub","latency_ms":0} }
            """;
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/problem+json") };
        response.Headers.RetryAfter = retryAfter;
        return response;
    }

    /// <summary>A success envelope around <paramref name="data"/> (JSON text).</summary>
    public static HttpResponseMessage Data(HttpStatusCode status, string data) => new(status)
    {
        Content = new StringContent("{\"data\":" + data + ",\"meta\":{\"request_id\":\"req-ok\",\"latency_ms\":1}}", Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage Usage() => new(HttpStatusCode.OK)
    {
        Content = new StringContent(
            """
            {"data":{"api_calls_today":7,"daily_limit":500,"api_calls_month":7,"embeddings_generated_month":0,"vectors_stored":0,
             "storage_bytes":0,"storage":{"dynamo_bytes":0,"s3_bytes":0,"postgres_bytes":0},"agents_count":0,"sessions_count":0,
             "billing_period":"2026-11","tier":"free"},"meta":{"request_id":"req-ok","latency_ms":1}}
            """,
            Encoding.UTF8,
            "application/json"),
    };

    public static HttpResponseMessage Semantic(HttpStatusCode status) => new(status)
    {
        Content = new StringContent(
            """
            {"data":{"id":"6f1c4a52-5b1e-4a7f-9d36-0d2f3b0f6a11","agent_id":"a","content":"c","namespace":"default","metadata":{},
             "similarity_score":null,"created_at":"2026-11-28T10:00:00Z","updated_at":"2026-11-28T10:00:00Z","deduplicated":false},
             "meta":{"request_id":"req-ok","latency_ms":1}}
            """,
            Encoding.UTF8,
            "application/json"),
    };
}
