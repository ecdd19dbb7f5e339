using System.Globalization;
using Mnemora.Api.Http;

namespace Mnemora.Api.Tenancy;

/// <summary>Marks endpoints whose calls count against the tenant's daily quota.</summary>
internal sealed class DailyQuotaMetadata
{
    public static readonly DailyQuotaMetadata Instance = new();
}

/// <summary>
/// Counts each call of a quota endpoint before it is handled (after authentication, before body
/// binding), refusing it with 429 once the tier's daily limit is reached. The counter is in DynamoDB,
/// updated conditionally a lease of calls at a time (<see cref="CallLeases"/>), so the limit holds
/// across replicas and concurrent calls without a store write per call. A call answered with a 5xx
/// is given back: it is the service's failure, not the tenant's call.
/// </summary>
internal sealed class DailyQuotaMiddleware(RequestDelegate next, CallLeases leases, TimeProvider time)
{
    private const string Policy = "daily";
    private static readonly TimeSpan s_window = TimeSpan.FromDays(1);

    public async Task InvokeAsync(HttpContext context, TenantContext tenant, TierCatalog tiers)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<DailyQuotaMetadata>() is null || !tenant.IsAuthenticated)
        {
            await next(context);
            return;
        }

        var now = time.GetUtcNow();
        var limit = tiers.For(tenant.Tier).CallsPerDay;
        var count = await leases.TryTakeAsync(tenant.TenantId, now, limit, context.RequestAborted);
        var reset = (long)Math.Ceiling((now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime).TotalSeconds);
        var headers = context.Response.Headers;
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";q={limit};w={(long)s_window.TotalSeconds}");
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{Policy}\";r={Math.Max(0, limit - count.CallsToday)};t={reset}");

        if (!count.Allowed)
        {
            headers.RetryAfter = reset.ToString(CultureInfo.InvariantCulture);
            await new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                $"The daily limit of {limit} calls is reached; it resets at 00:00 UTC.").ExecuteAsync(context);
            return;
        }

        // A call the service fails (5xx) is handed back: the tenant pays for answers, and a client that
        // retries it is charged once.
        var failedByUs = false;
        try
        {
            await next(context);
            failedByUs = context.Response.StatusCode >= StatusCodes.Status500InternalServerError;
        }
        catch (Exception exception)
        {
            failedByUs = ApiExceptionHandler.Classify(exception, context.RequestAborted).StatusCode >= StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            if (failedByUs)
            {
                await leases.GiveBackAsync(tenant.TenantId, now);
            }
        }
    }
}
