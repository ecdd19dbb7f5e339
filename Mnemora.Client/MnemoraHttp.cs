using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Mnemora.Client;

/// <summary>
/// One authenticated conversation with the API: sends a request with the bearer key, unwraps the
/// success envelope, and turns an error envelope into the matching <see cref="MnemoraException"/>.
/// Retries are not here: they are the resilience handler's, below the <see cref="HttpClient"/>.
/// </summary>
internal sealed class MnemoraHttp
{
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue _authorization;

    public MnemoraHttp(HttpClient http, string bearerKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(bearerKey);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress: the Mnemora server's root URL (Mnemora:BaseAddress or MNEMORA_API_URL).", nameof(http));
        }

        _http = http;
        _authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<Envelope<T>> envelope, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, cancellationToken);
        try
        {
            var body = await response.Content.ReadFromJsonAsync(envelope, cancellationToken);
            return body is { Data: not null } ? body.Data : throw Malformed(response, "it has no 'data'");
        }
        catch (JsonException exception)
        {
            throw Malformed(response, exception.Message);
        }
    }

    public async Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content: null, cancellationToken);
    }

    /// <summary>Sends a request whose answer is a stream (an NDJSON export): the returned stream owns the response, so disposing it ends the transfer.</summary>
    public async Task<Stream> OpenStreamAsync(string path, string mediaType, CancellationToken cancellationToken)
    {
        var response = await SendRawAsync(HttpMethod.Get, path, content: null, cancellationToken, mediaType);
        try
        {
            return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public static JsonContent Json<T>(T value, JsonTypeInfo<T> typeInfo) => JsonContent.Create(value, typeInfo);

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, string accept = "application/json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        // An error comes as problem+json whatever the success's type: say so, or the server may find no format for it.
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }
    }

    /// <summary>The exception for an error answer: its <c>error.code</c> decides the type; the status decides when the body is not the contract's.</summary>
    internal static async Task<MnemoraException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var problem = await ReadProblemAsync(response, cancellationToken);
        var status = response.StatusCode;
        var code = problem?.Error?.Code ?? CodeFor(status);
        var message = problem?.Error?.Message ?? problem?.Detail ?? $"The server answered {(int)status} {response.ReasonPhrase}.";
        var requestId = problem?.Meta?.RequestId;
        return code switch
        {
            MnemoraErrorCodes.Unauthorized => new AuthenticationException(message, requestId),
            MnemoraErrorCodes.Forbidden => new PermissionDeniedException(message, requestId),
            MnemoraErrorCodes.NotFound => new NotFoundException(message, requestId),
            MnemoraErrorCodes.Conflict => new ConflictException(message, requestId),
            MnemoraErrorCodes.Validation => new ValidationException(message, requestId),
            MnemoraErrorCodes.PayloadTooLarge => new PayloadTooLargeException(message, requestId),
            MnemoraErrorCodes.RateLimited => new RateLimitedException(message, requestId, MnemoraRetry.RetryAfter(response, TimeProvider.System)),
            MnemoraErrorCodes.VectorLimitExceeded or MnemoraErrorCodes.StorageLimitExceeded => new LimitExceededException(status, code, message, requestId),
            MnemoraErrorCodes.ServiceUnavailable => new ServiceUnavailableException(message, requestId, MnemoraRetry.RetryAfter(response, TimeProvider.System)),
            _ => new MnemoraException(status, code, message, requestId),
        };
    }

    private static async Task<Problem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType is not { } mediaType || !mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync(MnemoraJsonContext.Default.Problem, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string CodeFor(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => MnemoraErrorCodes.Validation,
        HttpStatusCode.Unauthorized => MnemoraErrorCodes.Unauthorized,
        HttpStatusCode.Forbidden => MnemoraErrorCodes.Forbidden,
        HttpStatusCode.NotFound => MnemoraErrorCodes.NotFound,
        HttpStatusCode.Conflict => MnemoraErrorCodes.Conflict,
        HttpStatusCode.RequestEntityTooLarge => MnemoraErrorCodes.PayloadTooLarge,
        HttpStatusCode.TooManyRequests => MnemoraErrorCodes.RateLimited,
        HttpStatusCode.ServiceUnavailable => MnemoraErrorCodes.ServiceUnavailable,
        _ => MnemoraErrorCodes.Internal,
    };

    private static MnemoraException Malformed(HttpResponseMessage response, string why) => new(
        response.StatusCode,
        MnemoraErrorCodes.Internal,
        $"The server's answer to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} is not the Mnemora envelope: {why}.",
        requestId: null);
}
