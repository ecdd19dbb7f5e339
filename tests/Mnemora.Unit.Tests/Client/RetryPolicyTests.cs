using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace Mnemora.Client.Tests.Resilience;

/// <summary>
/// The retry policy that <c>AddMnemoraClient</c> installs, timed against a scripted server: a real
/// 429 asks to wait until midnight UTC, which is too long for a test (see RateLimitTests for that one).
/// </summary>
public sealed class RetryPolicyTests
{
    private static readonly TimeSpan s_clockSlack = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task A429IsRetriedAfterTheWaitItsRetryAfterAsksFor()
    {
        var server = new StubServer()
            .Then(() => StubServer.Problem(HttpStatusCode.TooManyRequests, MnemoraErrorCodes.RateLimited, new RetryConditionHeaderValue(TimeSpan.FromSeconds(1))))
            .Then(StubServer.Usage);

        var usage = await ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken);

        Assert.Equal(7, usage.ApiCallsToday);
        Assert.Equal(2, server.Requests.Count);
        var waited = server.Requests[1].At - server.Requests[0].At;
        // The back-off alone would wait ~10 ms: a second proves the header decided.
        Assert.True(waited >= TimeSpan.FromSeconds(1) - s_clockSlack, $"Retried after {waited}.");
        Assert.True(waited < TimeSpan.FromSeconds(3), $"Retried after {waited}.");
    }

    [Fact]
    public async Task A503IsRetriedAtTheDateItsRetryAfterGives()
    {
        var server = new StubServer()
            .Then(() => StubServer.Problem(HttpStatusCode.ServiceUnavailable, MnemoraErrorCodes.ServiceUnavailable, new RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddSeconds(2))))
            .Then(StubServer.Usage);

        await ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, server.Requests.Count);
        // An HTTP date has whole seconds: 2 s ahead is at least 1 s once truncated.
        var waited = server.Requests[1].At - server.Requests[0].At;
        Assert.True(waited >= TimeSpan.FromSeconds(1) - s_clockSlack, $"Retried after {waited}.");
    }

    [Fact]
    public async Task ServerErrorsWithoutRetryAfterAreRetriedWithBackOff()
    {
        var server = new StubServer()
            .Then(() => StubServer.Problem(HttpStatusCode.InternalServerError, MnemoraErrorCodes.Internal))
            .Then(() => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>proxy</html>", System.Text.Encoding.UTF8, "text/html") })
            .Then(StubServer.Usage);

        await ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task ARetriedPostSendsItsBodyAgain()
    {
        var server = new StubServer()
            .Then(() => StubServer.Problem(HttpStatusCode.ServiceUnavailable, MnemoraErrorCodes.ServiceUnavailable, new RetryConditionHeaderValue(TimeSpan.Zero)))
            .Then(() => StubServer.Semantic(HttpStatusCode.Created));

        await ClientOver(server).StoreMemoryAsync("a", "c", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, request => Assert.Contains("\"content\":\"c\"", request.Body, StringComparison.Ordinal));
        Assert.Equal(server.Requests[0].Body, server.Requests[1].Body);
    }

    [Fact]
    public async Task A429WithALongerWaitThanTheClientAcceptsFailsAtOnceWithThatWait()
    {
        var server = new StubServer(() => StubServer.Problem(HttpStatusCode.TooManyRequests, MnemoraErrorCodes.RateLimited, new RetryConditionHeaderValue(TimeSpan.FromHours(5))));

        var limited = await Assert.ThrowsAsync<RateLimitedException>(() => ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken));

        Assert.Single(server.Requests);
        Assert.Equal(TimeSpan.FromHours(5), limited.RetryAfter);
        Assert.Equal("req-stub", limited.RequestId);
    }

    [Fact]
    public async Task ATierLimitWithoutRetryAfterIsNotRetried()
    {
        var server = new StubServer(() => StubServer.Problem(HttpStatusCode.TooManyRequests, MnemoraErrorCodes.VectorLimitExceeded));

        var limit = await Assert.ThrowsAsync<LimitExceededException>(() => ClientOver(server).StoreMemoryAsync("a", "c", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Single(server.Requests);
        Assert.Equal(MnemoraErrorCodes.VectorLimitExceeded, limit.Code);
        Assert.Equal(HttpStatusCode.TooManyRequests, limit.Status);
    }

    [Fact]
    public async Task RetriesStopAfterTheConfiguredAttemptsWithTheLastError()
    {
        var server = new StubServer(() => StubServer.Problem(HttpStatusCode.ServiceUnavailable, MnemoraErrorCodes.ServiceUnavailable, new RetryConditionHeaderValue(TimeSpan.Zero)));

        var unavailable = await Assert.ThrowsAsync<ServiceUnavailableException>(() => ClientOver(server, maxRetryAttempts: 2).GetUsageAsync(TestContext.Current.CancellationToken));

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(TimeSpan.Zero, unavailable.RetryAfter);
    }

    [Fact]
    public async Task ClientErrorsAreNotRetried()
    {
        var server = new StubServer(() => StubServer.Problem(HttpStatusCode.BadRequest, MnemoraErrorCodes.Validation));

        await Assert.ThrowsAsync<ValidationException>(() => ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task AnErrorThatIsNotTheContractsEnvelopeIsMappedByItsStatus()
    {
        var server = new StubServer(() => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("nothing here") });

        var missing = await Assert.ThrowsAsync<NotFoundException>(() => ClientOver(server).GetUsageAsync(TestContext.Current.CancellationToken));

        Assert.Null(missing.RequestId);
        Assert.Contains("404", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAttemptThatHangsIsCutByTheAttemptTimeoutAndRetried()
    {
        var calls = 0;
        var handler = new DelayingHandler(() => Interlocked.Increment(ref calls) == 1 ? TimeSpan.FromMinutes(1) : TimeSpan.Zero);
        var services = new ServiceCollection();
        services.AddMnemoraClient(options =>
            {
                options.BaseAddress = new Uri("http://mnemora.stub");
                options.AttemptTimeout = TimeSpan.FromMilliseconds(300);
                options.Retry.BaseDelay = TimeSpan.FromMilliseconds(10);
            })
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        using var provider = services.BuildServiceProvider();

        var usage = await provider.GetRequiredService<IMnemoraClientFactory>().CreateClient("mnm_stub").GetUsageAsync(TestContext.Current.CancellationToken);

        Assert.Equal(7, usage.ApiCallsToday);
        Assert.Equal(2, calls);
    }

    private static MnemoraClient ClientOver(StubServer server, int maxRetryAttempts = 3)
    {
        var services = new ServiceCollection();
        services.AddMnemoraClient(options =>
            {
                options.BaseAddress = new Uri("http://mnemora.stub");
                options.Retry.BaseDelay = TimeSpan.FromMilliseconds(10);
                options.Retry.MaxRetryAttempts = maxRetryAttempts;
            })
            .ConfigurePrimaryHttpMessageHandler(() => server);
        return services.BuildServiceProvider().GetRequiredService<IMnemoraClientFactory>().CreateClient("mnm_stub");
    }

    private sealed class DelayingHandler(Func<TimeSpan> delay) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(delay(), cancellationToken);
            return StubServer.Usage();
        }
    }
}
