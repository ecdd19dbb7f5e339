using System.Diagnostics;

namespace Mnemora.Api.Http;

/// <summary>The <c>meta</c> member of every response envelope.</summary>
public sealed record ApiMeta(string RequestId, long LatencyMs)
{
    public static ApiMeta For(HttpContext context)
    {
        var started = context.Features.Get<RequestTiming>()?.StartedAt ?? Stopwatch.GetTimestamp();
        return new ApiMeta(context.TraceIdentifier, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>When the request reached the API, for <c>meta.latency_ms</c>.</summary>
internal sealed record RequestTiming(long StartedAt);

/// <summary>The success envelope: <c>{"data": …, "meta": {…}}</c>.</summary>
public sealed record SuccessEnvelope<T>(T Data, ApiMeta Meta);
