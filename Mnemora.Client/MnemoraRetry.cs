using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Mnemora.Client;

/// <summary>
/// The client's resilience pipeline: a total timeout, retries of 429 and 5xx that wait as long as
/// <c>Retry-After</c> says, and a timeout per attempt. Built with Microsoft.Extensions.Http.Resilience.
/// </summary>
internal static class MnemoraRetry
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TimeSpan timeout, TimeSpan attemptTimeout, MnemoraRetryOptions retry, TimeProvider time)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "mnemora-total", Timeout = timeout });
        if (retry.MaxRetryAttempts > 0)
        {
            var options = Options(retry, time);
            if (!retry.RetryUnsafeMethods)
            {
                options.DisableForUnsafeHttpMethods();
            }

            pipeline.AddRetry(options);
        }

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "mnemora-attempt", Timeout = attemptTimeout });
    }

    public static HttpRetryStrategyOptions Options(MnemoraRetryOptions retry, TimeProvider time) => new()
    {
        Name = "mnemora-retry",
        MaxRetryAttempts = retry.MaxRetryAttempts,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = retry.BaseDelay,
        // Our own generator and predicate below read Retry-After; the built-in reading would not cap it.
        ShouldRetryAfterHeader = false,
        ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, retry.MaxRetryAfter, time)),
        DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response, time) : null),
    };

    /// <summary>
    /// Transient failures are retried, except a 429 that says nothing of when to come back (a tier
    /// limit: retrying cannot help) and any answer whose <c>Retry-After</c> is longer than the caller will wait.
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter, TimeProvider time)
    {
        if (!HttpClientResiliencePredicates.IsTransient(outcome))
        {
            return false;
        }

        if (outcome.Result is not { } response)
        {
            return true;
        }

        var retryAfter = RetryAfter(response, time);
        return retryAfter is null
            ? response.StatusCode != HttpStatusCode.TooManyRequests
            : retryAfter <= maxRetryAfter;
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds or an HTTP date); null without one.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > time.GetUtcNow() ? date - time.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };
}
