using Mnemora.Client;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Mnemora.Dashboard.Operator;

/// <summary>
/// Runs calls of <see cref="MnemoraOperatorClient"/> (the SDK: the dashboard has no wire models of its
/// own) for the pages: the contract's errors and transport failures become an <see cref="OperatorResult{T}"/>
/// with a readable message, never an exception on a page. The operator key stays in the SDK's client, on the server.
/// </summary>
public sealed partial class OperatorCalls(MnemoraOperatorClient client, ILogger<OperatorCalls> logger)
{
    public async Task<OperatorResult<T>> RunAsync<T>(Func<MnemoraOperatorClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return OperatorResult<T>.Success(await call(client, cancellationToken));
        }
        catch (MnemoraException exception)
        {
            LogApiError(logger, (int)exception.Status, exception.Code, exception.RequestId);
            return OperatorResult<T>.Failure(ToError(exception));
        }
        catch (Exception exception) when (IsTransportFailure(exception, cancellationToken))
        {
            LogUnreachable(logger, exception);
            var message = exception is TimeoutRejectedException or TaskCanceledException
                ? "The API did not answer in time. Try again in a moment."
                : "The API cannot be reached right now. Check that it is running and try again.";
            return OperatorResult<T>.Failure(new OperatorError(OperatorError.Unreachable, message));
        }
    }

    public Task<OperatorResult<bool>> RunAsync(Func<MnemoraOperatorClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        RunAsync(async (c, ct) =>
        {
            await call(c, ct);
            return true;
        }, cancellationToken);

    private static OperatorError ToError(MnemoraException exception) => exception switch
    {
        AuthenticationException or PermissionDeniedException => new(exception.Code, "The API refused the dashboard's operator key. Check that both use the same operator-key parameter.", (int)exception.Status),
        _ => new(exception.Code, exception.Message, (int)exception.Status),
    };

    private static bool IsTransportFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or TimeoutRejectedException or BrokenCircuitException => true,
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Operator API answered {Status} {Code} (request {RequestId})")]
    private static partial void LogApiError(ILogger logger, int status, string code, string? requestId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Operator API could not be reached")]
    private static partial void LogUnreachable(ILogger logger, Exception exception);
}
