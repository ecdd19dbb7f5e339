using System.Diagnostics;

namespace Mnemora.Api.Http;

internal static class HttpExtensions
{
    /// <summary>
    /// The client's address (forwarded only by a configured proxy), request timing, the error envelope for
    /// every failure, problem responses for unmatched routes, and CORS for <c>/v1</c> (before any key is checked).
    /// </summary>
    public static WebApplication UseMnemoraHttp(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.Use((context, next) =>
        {
            context.Features.Set(new RequestTiming(Stopwatch.GetTimestamp()));
            return next(context);
        });
        app.UseEncodedPathIds();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseBrowserAccess();
        return app;
    }
}
