using Amazon.Runtime;

namespace Mnemora.Storage.Aws;

/// <summary>
/// The HTTP clients of the AWS store clients. Their timeout (<see cref="IClientConfig.Timeout"/>, one attempt) covers
/// the whole answer, body included: the SDK's own client stops timing at the response headers, so a store that sends
/// the headers and then stalls (one shutting down, a half-dead connection) held the caller for as long as the socket
/// lived. Here each answer is read into memory within the attempt's timeout, and one that does not arrive in time is
/// an <see cref="IOException"/>, which the SDK retries like a broken connection and the API answers as a store that is
/// unavailable. Answers are bounded (a DynamoDB page is at most 1 MB, a cold object at most 8 MB), so buffering them
/// costs what reading them costs. A request's attempts that time out also spend its <see cref="StoreWaitBudget"/>, so
/// a request of many calls waits on a stalling store no longer than one call would.
/// </summary>
internal sealed class WholeAnswerHttpClientFactory(string store) : HttpClientFactory
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
        return new HttpClient(new WholeAnswerHandler(store, timeout) { InnerHandler = sockets }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends a request and reads its answer whole, both within one attempt's timeout, and within what the request's
    /// <see cref="StoreWaitBudget"/> has left for this store.
    /// </summary>
    internal sealed class WholeAnswerHandler(string store, TimeSpan timeout) : DelegatingHandler
    {
        private readonly TimeSpan _requestBound = timeout * StoreTimeoutOptions.Attempts;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var budget = StoreWaitBudget.Current;
            var allowed = budget is null ? timeout : Min(timeout, budget.Remaining(store, _requestBound));
            if (allowed <= TimeSpan.Zero)
            {
                throw new IOException($"{store} did not answer this request's earlier calls within {_requestBound.TotalSeconds:0.###} s: not waiting on it again.", new TimeoutException());
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(allowed);
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
                // The attempt waited all it was allowed (timers may fire a hair early: count what was allowed).
                budget?.Spend(store, allowed);
                throw new IOException($"{request.RequestUri?.Host} ({store}) did not answer {request.Method} within {allowed.TotalSeconds:0.###} s.", new TimeoutException(ex.Message, ex));
            }
            catch
            {
                response?.Dispose();
                throw;
            }
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }
}
