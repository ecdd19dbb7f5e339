using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Mcp;

internal static class McpExtensions
{
    public const string Path = "/mcp";

    /// <summary>The MCP server (Streamable HTTP) with the memory tools of <see cref="MemoryTools"/>.</summary>
    public static IHostApplicationBuilder AddMcpServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMcpServer(options => options.ServerInfo = new() { Name = "mnemora", Version = "1.0.0" })
            // Stateless: every POST carries its whole exchange, so any replica can answer any call with no
            // session affinity or shared session store, and each call is authenticated and counted on its own.
            .WithHttpTransport(transport => transport.Stateless = true)
            .WithTools<MemoryTools>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(ToolFailures.Filter));
        return builder;
    }

    /// <summary>
    /// <c>/mcp</c> behind the same key, burst limit and daily quota as <c>/v1</c>: the tools resolve the
    /// request's <see cref="TenantContext"/> and the routes' services, so there is no second path to a store.
    /// </summary>
    public static IEndpointConventionBuilder MapMcpServer(this IEndpointRouteBuilder app)
    {
        // A tool call carries what the matching route takes (a state of up to 400 KB, a long memory): the memory routes' body limit.
        var mcp = app.MapGroup(Path).RequireTenant().WithTags("MCP").WithRequestBodyLimit(RequestBodyLimits.Memory);
        mcp.MapMcp().ExcludeFromDescription();
        return mcp;
    }
}
