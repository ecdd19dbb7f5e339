using System.Net.Sockets;
using System.Text;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class MalformedKeyTests(MnemoraApp system)
{
    public static TheoryData<string> Headers() =>
    [
        "Bearer",
        "Bearer ",
        "Bearer     ",
        "Basic dXNlcjpwYXNz",
        "mnm_" + new string('a', 43),
        "Bearer mnm_",
        "Bearer mnm_" + new string('a', 43),
        "Bearer mnm_" + new string('a', 42),
        "Bearer mnm_" + new string('a', 44),
        "Bearer MNM_" + new string('a', 43),
        "Bearer mnm_" + new string('a', 42) + "!",
        "Bearer " + new string('x', 16_000),
        "Bearer mnm_' OR '1'='1",
        "Bearer mnm_'; DROP TABLE tenants; --",
        "Bearer \" OR 1=1 --",
        "Bearer mnm_${jndi:ldap://127.0.0.1/a}",
        "Bearer ../../../../etc/passwd",
        "Bearer mnm_%0d%0aX-Tenant-Id:%20other",
        "Bearer null",
        "Bearer undefined",
        "Bearer Bearer mnm_" + new string('a', 43),
    ];

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task AMalformedOrUnknownKeyIsUnauthorized(string authorization)
    {
        using var api = system.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", authorization));

        await Envelope.ReadErrorAsync(await api.SendAsync(request, TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task ARealKeyWithOneCharacterChangedIsUnauthorized()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        var last = tenant.ApiKey[^1];
        var forged = tenant.ApiKey[..^1] + (last == 'a' ? 'b' : 'a');
        using var api = system.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", forged);

        await Envelope.ReadErrorAsync(await api.SendAsync(request, cancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
    }

    /// <summary>Raw header bytes no HTTP client would send; true when the HTTP server may refuse them itself (400) before the app sees them.</summary>
    public static TheoryData<string, byte[], bool> RawHeaders() => new()
    {
        { "UTF-8 text", Encoding.UTF8.GetBytes("Authorization: Bearer mnm_ünïcødé-ключ-鍵\r\n"), false },
        { "bytes that are not UTF-8", [.. Encoding.ASCII.GetBytes("Authorization: Bearer mnm_"), 0xFF, 0xFE, 0xC3, 0x28, .. "\r\n"u8], false },
        { "control characters", [.. Encoding.ASCII.GetBytes("Authorization: Bearer mnm_"), 0x01, 0x7F, .. "\r\n"u8], false },
        { "a header smuggled after a key", Encoding.ASCII.GetBytes("Authorization: Bearer mnm_abc\r\nX-Tenant-Id: other\r\n"), false },
        { "a bare LF splitting the header", Encoding.ASCII.GetBytes("Authorization: Bearer mnm_abc\nX-Tenant-Id: other\r\n"), true },
        { "two Authorization headers", Encoding.ASCII.GetBytes("Authorization: Bearer a\r\nAuthorization: Bearer b\r\n"), false },
    };

    [Theory]
    [MemberData(nameof(RawHeaders))]
    public async Task GarbledAuthorizationBytesAreUnauthorizedNeverAServerError(string what, byte[] header, bool serverMayRefuse)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var endpoint = system.App.GetEndpoint("api", "http");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
        var stream = tcp.GetStream();
        byte[] request = [.. Encoding.ASCII.GetBytes($"GET /v1/usage HTTP/1.1\r\nHost: {endpoint.Authority}\r\nConnection: close\r\n"), .. header, .. "\r\n"u8];
        await stream.WriteAsync(request, cancellationToken);

        using var reader = new StreamReader(stream, Encoding.Latin1);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var response = await reader.ReadToEndAsync(timeout.Token);

        var statusLine = response.Split("\r\n")[0];
        if (serverMayRefuse && statusLine.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal))
        {
            return;
        }

        Assert.True(statusLine.StartsWith("HTTP/1.1 401 ", StringComparison.Ordinal), $"{what}: {statusLine}");
        Assert.Contains("\"code\":\"UNAUTHORIZED\"", response, StringComparison.Ordinal);
    }
}
