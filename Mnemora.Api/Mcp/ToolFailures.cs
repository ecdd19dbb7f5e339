using System.Text.Json;
using Mnemora.Api.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Mnemora.Api.Mcp;

/// <summary>
/// Turns a tool call's exception into the contract's error, as <see cref="ApiExceptionHandler"/> does for the
/// routes: arguments the tool could not bind are a <c>VALIDATION_ERROR</c>, a limit its code, a store down
/// <c>SERVICE_UNAVAILABLE</c>, anything else <c>INTERNAL_ERROR</c> without detail.
/// </summary>
internal static partial class ToolFailures
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, cancellationToken) =>
        {
            try
            {
                return await next(context, cancellationToken);
            }
            catch (McpProtocolException)
            {
                // An unknown tool or a malformed request: the protocol's own error, not a tool's.
                throw;
            }
            catch (Exception exception) when (IsUnbindable(exception))
            {
                return ToolResults.Error(ErrorCodes.Validation, "The arguments do not match the tool's input schema (names and types).");
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var problem = ApiExceptionHandler.Classify(exception, cancellationToken);
                if (problem.StatusCode >= 500)
                {
                    var logger = context.Services?.GetService<ILoggerFactory>()?.CreateLogger(typeof(ToolFailures));
                    if (logger is not null)
                    {
                        LogFailure(logger, exception, problem.Code, context.Params?.Name);
                    }
                }

                return ToolResults.Error(problem);
            }
        };

    /// <summary>The binder's refusals: a missing required argument or a value of the wrong JSON type.</summary>
    private static bool IsUnbindable(Exception exception) => exception switch
    {
        JsonException or FormatException or InvalidCastException => true,
        // AIFunctionFactory's binder (Microsoft.Extensions.AI.Abstractions) names the argument it could not bind.
        ArgumentException { Source: { } source } when source.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal) => true,
        { InnerException: { } inner } => IsUnbindable(inner),
        _ => false,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "MCP tool {Tool} failed with {Code}")]
    private static partial void LogFailure(ILogger logger, Exception exception, string code, string? tool);
}
