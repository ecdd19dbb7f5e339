using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace Mnemora.Api.Http;

/// <summary>
/// The largest request body each route accepts, sized to its largest legal body (every character of a
/// string escaped as <c>\uXXXX</c> is six bytes): a larger body is a 413 in the envelope before it is read.
/// </summary>
public static class RequestBodyLimits
{
    /// <summary>Routes whose bodies are a few fields: tenants, keys, searches by id, summarize.</summary>
    public const long Small = 64 * 1024;

    /// <summary>Semantic memories and searches: 100,000 characters plus 64 KB of metadata, escaped.</summary>
    public const long Text = 2 * 1024 * 1024;

    /// <summary>State and episodes (and the whole-agent write, which may carry either): 400 KB of JSON, escaped.</summary>
    public const long Memory = 4 * 1024 * 1024;

    /// <summary>Gives the route (or every route of a group) its body limit.</summary>
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long maxBytes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimit(maxBytes));

    /// <summary>The route reads its body as a stream and sets its own limit (imports).</summary>
    public static TBuilder WithStreamedBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimit(null));

    /// <summary>
    /// Applies the matched route's limit (or <see cref="Small"/>): a declared length beyond it is refused at once;
    /// a chunked body is cut by the server when it passes it.
    /// </summary>
    public static WebApplication UseRequestBodyLimits(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>() is { } declared ? declared.MaxBytes : Small;
            if (limit is not { } maxBytes)
            {
                return next(context);
            }

            if (context.Request.ContentLength > maxBytes)
            {
                return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                    string.Create(CultureInfo.InvariantCulture, $"This route accepts a body of at most {maxBytes} bytes.")).ExecuteAsync(context);
            }

            // An empty body (Content-Length: 0) has nothing to cut; the server's limit is left as it is for it.
            if (context.Request.ContentLength is not 0 && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = maxBytes;
            }

            return next(context);
        });
        return app;
    }
}

/// <summary>Endpoint metadata: the route's body limit in bytes; null when the handler sets its own.</summary>
public sealed record RequestBodyLimit(long? MaxBytes);
