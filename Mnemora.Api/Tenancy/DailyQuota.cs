using System.Globalization;
using Mnemora.Api.Http;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>Marks endpoints whose calls count against the tenant's daily quota.</summary>
internal sealed class DailyQuotaMetadata
{
    public static readonly DailyQuotaMetadata Instance = new();
}

/// <summary>
/// Marks a quota endpoint as a small read without side effects: it may run while its call is being
/// counted, its response held in memory until the count allows it. That saves the read a store round
/// trip. Never for streamed responses (they would be buffered whole) nor for anything that writes.
/// </summary>
internal sealed class QuotaCountedAlongsideMetadata
{
    public static readonly QuotaCountedAlongsideMetadata Instance = new();
}

/// <summary>
/// Counts each call of a quota endpoint before it is handled (after authentication, before body
/// binding), refusing it with 429 once the tier's daily limit is reached. The counter is one
/// conditional update in DynamoDB, so the limit is exact across replicas and concurrent calls. Small
/// reads marked <see cref="QuotaCountedAlongsideMetadata"/> run during the count instead of after it.
/// </summary>
internal sealed class DailyQuotaMiddleware(RequestDelegate next, TenantStore store, TimeProvider time)
{
    private const string Policy = "daily";
    private static readonly TimeSpan s_window = TimeSpan.FromDays(1);

    public async Task InvokeAsync(HttpContext context, TenantContext tenant)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<DailyQuotaMetadata>() is null || !tenant.IsAuthenticated)
        {
            await next(context);
            return;
        }

        var now = time.GetUtcNow();
        var limit = TierLimits.For(tenant.Tier).CallsPerDay;
        var counting = store.TryCountCallAsync(tenant.TenantId, now, limit, context.RequestAborted);
        if (context.GetEndpoint()?.Metadata.GetMetadata<QuotaCountedAlongsideMetadata>() is null)
        {
            if (await AllowAsync(context, await counting, limit, now))
            {
                await next(context);
            }

            return;
        }

        await RunAlongsideAsync(context, counting, limit, now);
    }

    /// <summary>
    /// Runs the read while the call is counted, into a buffer: the client gets the read's response
    /// only once the count allows it, else the 429 alone. A refused call then has cost a read but
    /// revealed and changed nothing.
    /// </summary>
    private async Task RunAlongsideAsync(HttpContext context, Task<CallCount> counting, long limit, DateTimeOffset now)
    {
        var body = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await Task.WhenAll(counting, next(context));
        }
        finally
        {
            context.Response.Body = body;
        }

        if (!await AllowAsync(context, await counting, limit, now))
        {
            return;
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(body, context.RequestAborted);
    }

    /// <summary>Sets the rate-limit headers; on a refused call, answers 429 in place of anything the endpoint wrote.</summary>
    private static async Task<bool> AllowAsync(HttpContext context, CallCount count, long limit, DateTimeOffset now)
    {
        var reset = (long)Math.Ceiling((now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime).TotalSeconds);
        if (!count.Allowed)
        {
            context.Response.Clear();
        }

        var headers = context.Response.Headers;
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";q={limit};w={(long)s_window.TotalSeconds}");
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";r={Math.Max(0, limit - count.CallsToday)};t={reset}");
        if (count.Allowed)
        {
            return true;
        }

        headers.RetryAfter = reset.ToString(CultureInfo.InvariantCulture);
        await new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
            $"The daily limit of {limit} calls is reached; it resets at 00:00 UTC.").ExecuteAsync(context);
        return false;
    }
}
