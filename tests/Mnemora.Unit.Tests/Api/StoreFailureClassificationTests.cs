using System.Net.Sockets;
using Amazon.DynamoDBv2;
using ApiExceptionHandler = Mnemora.Api.Http.ApiExceptionHandler;

namespace Mnemora.Unit.Tests.Api;

/// <summary>A store going down is a 503 the client may retry, however the failure reaches the handler; a bug stays a 500.</summary>
public sealed class StoreFailureClassificationTests
{
    public static TheoryData<Exception> StoreFailures() =>
    [
        // A store's connection cut in the middle of its answer, read by an SDK after the headers came.
        new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
        new IOException("Unable to read data from the transport connection.", new SocketException((int)SocketError.ConnectionReset)),
        new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new AmazonDynamoDBException("InternalFailure") { StatusCode = System.Net.HttpStatusCode.InternalServerError },
        new AmazonDynamoDBException("An error reading the answer", new HttpIOException(HttpRequestError.ResponseEnded)),
        new TaskCanceledException("The SDK's attempt timed out.", new TimeoutException()),
    ];

    [Theory]
    [MemberData(nameof(StoreFailures))]
    public void AStoreThatStopsAnsweringIsServiceUnavailable(Exception failure) =>
        Assert.Equal(503, ApiExceptionHandler.Classify(failure, CancellationToken.None).StatusCode);

    [Fact]
    public void ATenantOverItsShareOfAPoolIsToldToSlowDown()
    {
        var problem = ApiExceptionHandler.Classify(
            new Mnemora.Storage.TenantBusyException("postgres", TimeSpan.FromSeconds(1), "busy"), CancellationToken.None);
        Assert.Equal(429, problem.StatusCode);
        Assert.Equal("RATE_LIMITED", problem.Code);
    }

    [Fact]
    public void ABugIsAnInternalError() =>
        Assert.Equal(500, ApiExceptionHandler.Classify(new InvalidOperationException("A bug."), CancellationToken.None).StatusCode);
}
