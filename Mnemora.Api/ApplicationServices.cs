using System.Text.Json;
using System.Text.Json.Serialization;
using Mnemora.Api.Agents;
using Mnemora.Api.Http;
using Mnemora.Api.Mcp;
using Mnemora.Api.Memory;
using Mnemora.Api.Semantic;
using Mnemora.Api.Summaries;
using Mnemora.Api.Tenancy;
using Mnemora.Api.Transfer;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Scalar.AspNetCore;

namespace Mnemora.Api;

internal static class ApplicationServices
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = null;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            options.SerializerOptions.Converters.Add(new Utf8JsonElementConverter());
        });

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemEnvelope.Customize);
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.AddBrowserAccess();

        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Mnemora API";
            document.Info.Description = "Memory for AI agents, isolated per tenant: working state, episodes and semantic search.";
            return Task.CompletedTask;
        }));

        builder.AddMnemoraStorage(provision: true);
        builder.AddSemanticMemory();
        builder.AddTenancy();
        builder.Services.AddMemoryStores();
        // The services the routes share, so no handler calls another.
        builder.Services.Configure<Dictionary<string, TierOverrides>>(builder.Configuration.GetSection(TierCatalog.Section));
        builder.Services.AddSingleton<TierCatalog>();
        builder.Services.AddSingleton<StateService>();
        builder.Services.AddSingleton<EpisodeService>();
        builder.Services.AddSingleton<UsageReader>();
        builder.Services.AddSingleton<TenantLifecycle>();
        // The audit trail (its log is one of the tenants table's stores): appended by the operator routes and the tenant routes that export, import or purge.
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<Mnemora.Api.Audit.AuditTrail>();
        builder.AddWholeAgent();
        builder.AddMemoryTransfer();
        builder.AddSummaries();
        builder.AddMcpServer();
        builder.AddSemanticExpiry();
        return builder;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and an interactive reference at <c>/scalar</c>.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle("Mnemora API"));
        return app;
    }
}
