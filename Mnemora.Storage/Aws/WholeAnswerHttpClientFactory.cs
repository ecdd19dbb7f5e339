using Amazon.Runtime;

namespace Mnemora.Storage.Aws;

/// <summary>
/// The HTTP clients of the AWS store clients. Their timeout (<see cref="IClientConfig.Timeout"/>, one attempt) covers
/// the whole answer, body included: the SDK's own client stops timing at the response headers, so a store that sends
/// the headers and then stalls (one shutting down, a half-dead connection) held the caller for as long as the socket
/// lived. Here each answer is read into memory within the attempt's timeout, and one that does not arrive in time is
/// an <see cref="IOException"/>, which the SDK retries like a broken connection and the API answers as a store that is
/// unavailable. Answers are bounded (a DynamoDB page is at most 1 MB, a cold object at most 8 MB), so buffering them
/// costs what reading them costs.
/// </summary>
internal sealed class WholeAnswerHttpClientFactory : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100);
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = timeout,
            MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
        };
        return new HttpClient(new WholeAnswerHandler(timeout) { InnerHandler = sockets }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Sends a request and reads its answer whole, both within one attempt's timeout.</summary>
    private sealed class WholeAnswerHandler(TimeSpan timeout) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, deadline.Token);
                await response.Content.LoadIntoBufferAsync(deadline.Token);
                return response;
            }
            catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                throw new IOException($"{request.RequestUri?.Host} did not answer {request.Method} within {timeout.TotalSeconds:0.###} s.", new TimeoutException(ex.Message, ex));
            }
            catch
            {
                response?.Dispose();
                throw;
            }
        }
    }
}
