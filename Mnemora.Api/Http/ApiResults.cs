using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Mnemora.Api.Http;

/// <summary>Typed results that wrap a payload in the contract's success envelope.</summary>
public static class ApiResults
{
    public static ApiOk<T> Ok<T>(T data) => new(data);

    public static ApiCreated<T> Created<T>(T data) => new(data);

    internal static Task WriteEnvelopeAsync<T>(HttpContext context, int statusCode, T data)
    {
        context.Response.StatusCode = statusCode;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(new SuccessEnvelope<T>(data, ApiMeta.For(context)), options, context.RequestAborted);
    }
}

/// <summary><c>200</c> with the payload in the success envelope.</summary>
public sealed class ApiOk<T>(T data) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IEndpointMetadataProvider
{
    public T Value { get; } = data;

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    public Task ExecuteAsync(HttpContext httpContext) => ApiResults.WriteEnvelopeAsync(httpContext, StatusCode, Value);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(SuccessEnvelope<T>), ["application/json"]));
}

/// <summary><c>201</c> with the created resource in the success envelope.</summary>
public sealed class ApiCreated<T>(T data) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IEndpointMetadataProvider
{
    public T Value { get; } = data;

    public int StatusCode => StatusCodes.Status201Created;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    public Task ExecuteAsync(HttpContext httpContext) => ApiResults.WriteEnvelopeAsync(httpContext, StatusCode, Value);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status201Created, typeof(SuccessEnvelope<T>), ["application/json"]));
}
