using System.Text.Json;
using Mnemora.Api.Http;
using ModelContextProtocol.Protocol;

namespace Mnemora.Api.Mcp;

/// <summary>A tool's answer: the matching route's <c>data</c> as JSON, or an error whose text starts with the contract's code.</summary>
internal static class ToolResults
{
    public static CallToolResult Data<T>(T data, JsonSerializerOptions options)
    {
        var json = JsonSerializer.SerializeToElement(data, options);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = json.GetRawText() }],
            StructuredContent = json.ValueKind == JsonValueKind.Object ? json : null,
        };
    }

    public static CallToolResult Error(string code, string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = $"{code}: {message}" }],
    };

    public static CallToolResult Error(ApiProblem problem) => Error(problem.Code, problem.Message);
}
