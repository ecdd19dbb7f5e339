using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.FluentUI.AspNetCore.Components;
using Mnemora.Client;
using Mnemora.Dashboard.Operator;

namespace Mnemora.Dashboard.Tests.Components;

/// <summary>
/// The operator API as the contract shapes it, canned per route, for the pages' logic. The
/// isolation and the real wire format are proven against the real API by the end-to-end tests.
/// </summary>
public sealed class FakeOperatorApi : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, Func<HttpRequestMessage, HttpResponseMessage>> _routes = new();

    public ConcurrentQueue<(string Route, string? Body)> Requests { get; } = new();

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> (query included) with <c>{data, meta}</c>.</summary>
    public void Data(HttpMethod method, string path, object data, HttpStatusCode status = HttpStatusCode.OK) =>
        _routes[Key(method, path)] = _ => Json(status, new { data, meta = new { request_id = "req", latency_ms = 1 } }, "application/json");

    public void NoContent(HttpMethod method, string path) =>
        _routes[Key(method, path)] = _ => new HttpResponseMessage(HttpStatusCode.NoContent);

    /// <summary>Answers with the contract's error body (problem+json with <c>error.code</c>).</summary>
    public void Problem(HttpMethod method, string path, HttpStatusCode status, string code, string message) =>
        _routes[Key(method, path)] = _ => Json(status, new
        {
            type = "about:blank",
            title = code,
            status = (int)status,
            detail = message,
            error = new { code, message },
            meta = new { request_id = "req", latency_ms = 1 },
        }, "application/problem+json");

    public void Throw(HttpMethod method, string path, Exception exception) =>
        _routes[Key(method, path)] = _ => throw exception;

    /// <summary>The dashboard's calls over the SDK's real operator client, whose HTTP goes to this fake.</summary>
    public OperatorCalls CreateCalls() => new(
        new MnemoraOperatorClient(new HttpClient(this, disposeHandler: false) { BaseAddress = new Uri("http://api/") }, "op_fake_operator_key"),
        NullLogger<OperatorCalls>.Instance);

    /// <summary>A bUnit context with Fluent UI, the fake API behind the SDK's <see cref="MnemoraOperatorClient"/>, and loose JS interop.</summary>
    public BunitContext CreateContext()
    {
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddFluentUIComponents();
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddSingleton(CreateCalls());
        return context;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = Key(request.Method, request.RequestUri!.PathAndQuery);
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue((key, body));
        // An unknown route answers like ASP.NET Core routing does: 404 without a body.
        return _routes.TryGetValue(key, out var respond) ? respond(request) : new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private static string Key(HttpMethod method, string path) => $"{method.Method} {path}";

    private static HttpResponseMessage Json(HttpStatusCode status, object body, string mediaType) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue(mediaType)),
    };
}
