using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Storage;

namespace Mnemora.Api.Apis;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/health", GetHealth)
            .WithName("GetHealth")
            .WithTags("Health")
            .WithSummary("Reports whether each store (PostgreSQL, DynamoDB, S3) answers.")
            .AllowAnonymous();
        return app;
    }

    public static async Task<Results<ApiOk<HealthResponse>, ApiProblem>> GetHealth(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(StoreHealth.Tag), cancellationToken);
        var stores = report.Entries.ToDictionary(
            entry => entry.Key,
            entry => new StoreStatus(entry.Value.Status == HealthStatus.Healthy ? "up" : "down", entry.Value.Status == HealthStatus.Healthy ? null : entry.Value.Description),
            StringComparer.Ordinal);

        if (report.Status == HealthStatus.Healthy)
        {
            return ApiResults.Ok(new HealthResponse("healthy", Version, stores));
        }

        var down = string.Join(", ", stores.Where(s => s.Value.Status != "up").Select(s => s.Key).Order(StringComparer.Ordinal));
        var problem = ApiProblem.Unavailable($"Unavailable: {down}.");
        problem.Extensions["stores"] = stores;
        return problem;
    }

    private static readonly string Version =
        typeof(HealthApi).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";
}
