using System.Diagnostics;
using Mnemora.Storage.Aws;

namespace Mnemora.Api.Http;

internal static class HttpExtensions
{
    /// <summary>
    /// The client's address (forwarded only by a configured proxy), request timing and the request's wait budget on
    /// stores (<see cref="StoreWaitBudget"/>), the error envelope for
    /// every failure, problem responses for unmatched routes, and CORS for <c>/v1</c> (before any key is checked).
    /// </summary>
    public static WebApplication UseMnemoraHttp(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.Use(async (context, next) =>
        {
            context.Features.Set(new RequestTiming(Stopwatch.GetTimestamp()));
            // Async, so the budget belongs to this request's flow and ends with it.
            StoreWaitBudget.Begin();
            await next(context);
        });
        app.UseEncodedPathIds();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseBrowserAccess();
        return app;
    }
}
