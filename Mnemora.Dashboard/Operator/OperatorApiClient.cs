using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Mnemora.Dashboard.Operator;

/// <summary>
/// The API's operator routes (<c>/admin/v1</c>), typed. The HttpClient comes from the factory with the
/// operator key already set (see <see cref="DashboardServices"/>), so the key never leaves the server.
/// Every call returns an <see cref="OperatorResult{T}"/>: the contract's errors and transport failures
/// become readable messages, never exceptions on a page.
/// </summary>
public sealed partial class OperatorApiClient(HttpClient http, ILogger<OperatorApiClient> logger)
{
    private const string Tenants = "admin/v1/tenants";

    private static OperatorJsonContext Json => OperatorJsonContext.Default;

    public async Task<OperatorResult<IReadOnlyList<TenantSummary>>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        var result = await SendAsync(HttpMethod.Get, Tenants, null, Json.EnvelopeTenantList, cancellationToken);
        return Map(result, list => list.Tenants);
    }

    public Task<OperatorResult<TenantDetails>> GetTenantAsync(string tenantId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, TenantPath(tenantId), null, Json.EnvelopeTenantDetails, cancellationToken);

    public Task<OperatorResult<Tenant>> CreateTenantAsync(string tenantId, string name, string tier, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, Tenants, JsonContent.Create(new CreateTenantRequest(tenantId, name, tier), Json.CreateTenantRequest), Json.EnvelopeTenant, cancellationToken);

    public Task<OperatorResult<Tenant>> UpdateTenantAsync(string tenantId, string? name, string? tier, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, TenantPath(tenantId), JsonContent.Create(new UpdateTenantRequest(name, tier), Json.UpdateTenantRequest), Json.EnvelopeTenant, cancellationToken);

    public Task<OperatorResult<TenantDeleted>> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, TenantPath(tenantId), null, Json.EnvelopeTenantDeleted, cancellationToken);

    public Task<OperatorResult<IssuedKey>> IssueKeyAsync(string tenantId, string? name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"{TenantPath(tenantId)}/keys", JsonContent.Create(new IssueKeyRequest(name), Json.IssueKeyRequest), Json.EnvelopeIssuedKey, cancellationToken);

    public async Task<OperatorResult<IReadOnlyList<ApiKeyInfo>>> ListKeysAsync(string tenantId, CancellationToken cancellationToken)
    {
        var result = await SendAsync(HttpMethod.Get, $"{TenantPath(tenantId)}/keys", null, Json.EnvelopeKeyList, cancellationToken);
        return Map(result, list => list.Keys);
    }

    public async Task<OperatorResult<bool>> RevokeKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        var result = await SendAsync<bool>(HttpMethod.Delete, $"{TenantPath(tenantId)}/keys/{Uri.EscapeDataString(keyId)}", null, typeInfo: null, cancellationToken);
        return Map(result, _ => true);
    }

    /// <summary>Calls per UTC day; <see cref="OperatorError.IsRouteMissing"/> when the API has no such route.</summary>
    public async Task<OperatorResult<IReadOnlyList<DailyCalls>>> GetDailyUsageAsync(string tenantId, int days, CancellationToken cancellationToken)
    {
        var result = await SendAsync(HttpMethod.Get, $"{TenantPath(tenantId)}/usage/daily?days={days}", null, Json.EnvelopeDailyUsage, cancellationToken);
        return Map(result, usage => usage.Days);
    }

    /// <summary>The tenant's agents; <see cref="OperatorError.IsRouteMissing"/> when the API has no such route.</summary>
    public async Task<OperatorResult<IReadOnlyList<AgentSummary>>> ListAgentsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var result = await SendAsync(HttpMethod.Get, $"{TenantPath(tenantId)}/agents", null, Json.EnvelopeAgentList, cancellationToken);
        return Map(result, list => list.Agents);
    }

    public Task<OperatorResult<AgentPurged>> PurgeAgentAsync(string tenantId, string agentId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"{TenantPath(tenantId)}/agents/{Uri.EscapeDataString(agentId)}", null, Json.EnvelopeAgentPurged, cancellationToken);

    private static string TenantPath(string tenantId) => $"{Tenants}/{Uri.EscapeDataString(tenantId)}";

    private static OperatorResult<TOut> Map<TIn, TOut>(OperatorResult<TIn> result, Func<TIn, TOut> map) =>
        result.Succeeded ? OperatorResult<TOut>.Success(map(result.Value!)) : OperatorResult<TOut>.Failure(result.Error!);

    /// <summary>Sends one request and unwraps <c>{data, meta}</c>; a null <paramref name="typeInfo"/> expects 204.</summary>
    private async Task<OperatorResult<T>> SendAsync<T>(
        HttpMethod method,
        string path,
        HttpContent? content,
        JsonTypeInfo<Envelope<T>>? typeInfo,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                LogApiError(logger, method.Method, path, (int)response.StatusCode, error.Code);
                return OperatorResult<T>.Failure(error);
            }

            if (typeInfo is null || response.StatusCode == HttpStatusCode.NoContent)
            {
                return OperatorResult<T>.Success(default!);
            }

            var envelope = await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken);
            return envelope is { Data: { } data }
                ? OperatorResult<T>.Success(data)
                : OperatorResult<T>.Failure(new OperatorError(OperatorError.UnexpectedBody, "The API answered without the expected data.", (int)response.StatusCode));
        }
        catch (JsonException exception)
        {
            LogUnreadable(logger, method.Method, path, exception);
            return OperatorResult<T>.Failure(new OperatorError(OperatorError.UnexpectedBody, "The API answered with a body the dashboard cannot read."));
        }
        catch (Exception exception) when (IsTransportFailure(exception, cancellationToken))
        {
            LogUnreachable(logger, method.Method, path, exception);
            var message = exception is TimeoutRejectedException or TaskCanceledException
                ? "The API did not answer in time. Try again in a moment."
                : "The API cannot be reached right now. Check that it is running and try again.";
            return OperatorResult<T>.Failure(new OperatorError(OperatorError.Unreachable, message));
        }
    }

    private static bool IsTransportFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or TimeoutRejectedException or BrokenCircuitException => true,
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static async Task<OperatorError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        ProblemBody? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(Json.ProblemBody, cancellationToken);
            }
            catch (JsonException)
            {
                // Not the contract's body; fall through to a message from the status code.
            }
        }

        if (problem?.Error is { Code: { } code } error)
        {
            var message = FirstText(error.Message, problem.Detail, problem.Title) ?? $"The API refused the request ({status}).";
            return new OperatorError(code, message, status);
        }

        // No error envelope: a 404/405 comes from routing, i.e. the API does not have this route.
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return new OperatorError(OperatorError.RouteMissing, "The API does not offer this operation yet.", status);
        }

        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new OperatorError("UNAUTHORIZED", "The API refused the dashboard's operator key. Check that both use the same operator-key parameter.", status),
            >= HttpStatusCode.InternalServerError =>
                new OperatorError("SERVICE_UNAVAILABLE", $"The API failed ({status}). Try again in a moment.", status),
            _ => new OperatorError("HTTP_" + status, $"The API refused the request ({status} {response.ReasonPhrase}).", status),
        };
    }

    private static string? FirstText(params string?[] texts) => texts.FirstOrDefault(t => !string.IsNullOrWhiteSpace(t));

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Operator API {Method} {Path} answered {Status} {Code}")]
    private static partial void LogApiError(ILogger logger, string method, string path, int status, string code);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Operator API {Method} {Path} could not be reached")]
    private static partial void LogUnreachable(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Operator API {Method} {Path} answered a body that could not be read")]
    private static partial void LogUnreadable(ILogger logger, string method, string path, Exception exception);
}
