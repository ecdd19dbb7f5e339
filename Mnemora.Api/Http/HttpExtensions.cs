using System.Diagnostics;

namespace Mnemora.Api.Http;

internal static class HttpExtensions
{
    /// <summary>Request timing, the error envelope for every failure, and problem responses for unmatched routes.</summary>
    public static WebApplication UseMnemoraHttp(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Features.Set(new RequestTiming(Stopwatch.GetTimestamp()));
            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
