using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Mnemora.Api.Http;

/// <summary>
/// Ids in a path may contain <c>/</c>, sent as <c>%2F</c> (<c>/v1/state/user%2F42</c>). The server decodes
/// every other escape of the path before routing but keeps <c>%2F</c>, so such a route value would read
/// <c>user%2F42</c>: each parameter that fills a whole segment is decoded again from the request's raw
/// target, exactly once, so <c>user%2F42</c> is the id <c>user/42</c> and <c>user%252F42</c> the id <c>user%2F42</c>.
/// </summary>
internal static class EncodedPathIds
{
    public static WebApplication UseEncodedPathIds(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (raw is { Length: > 0 } && raw[0] == '/' && raw.Contains("%2F", StringComparison.OrdinalIgnoreCase)
                && context.GetEndpoint() is RouteEndpoint endpoint)
            {
                Decode(context.Request.RouteValues, endpoint.RoutePattern, raw);
            }

            return next(context);
        });
        return app;
    }

    private static void Decode(RouteValueDictionary values, RoutePattern pattern, string raw)
    {
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var segments = (query < 0 ? raw : raw[..query])[1..].Split('/');
        if (segments.Length != pattern.PathSegments.Count)
        {
            return;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            if (pattern.PathSegments[i].Parts is [RoutePatternParameterPart { IsCatchAll: false } parameter])
            {
                values[parameter.Name] = Uri.UnescapeDataString(segments[i]);
            }
        }
    }
}
