using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mnemora.Api.Embeddings;
using Mnemora.Api.Storage.Semantic;
using Mnemora.Storage;
using Npgsql;

namespace Mnemora.Api.Semantic;

internal static class SemanticExtensions
{
    /// <summary>
    /// Semantic memory: embeddings, the tenant role's data source (<see cref="TenantDatabase"/>), the
    /// start step that makes that role usable, the repository and the service.
    /// </summary>
    public static IHostApplicationBuilder AddSemanticMemory(this IHostApplicationBuilder builder)
    {
        builder.AddMnemoraEmbeddings();

        builder.Services.AddOptions<TenantDatabaseOptions>()
            .BindConfiguration(TenantDatabaseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<SemanticSearchOptions>()
            .BindConfiguration(SemanticSearchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(services =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var options = services.GetRequiredService<IOptions<TenantDatabaseOptions>>().Value;
            // The owner's connection string, with the tenant role's credentials instead.
            var connection = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(StorageExtensions.PostgresConnection))
            {
                Username = SemanticSchema.AppRole,
                Password = options.AppPassword,
                MaxPoolSize = options.MaxPoolSize,
                Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds),
                CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds),
                ApplicationName = "mnemora-api-tenant",
            };
            var dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString)
                .UseLoggerFactory(services.GetRequiredService<ILoggerFactory>())
                .Build();
            return new TenantDatabase(dataSource);
        });

        builder.Services.AddSingleton<AppRoleProvisioner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AppRoleProvisioner>());
        builder.Services.AddHealthChecks().AddCheck<TenantDatabaseHealthCheck>("postgres-tenant-role", timeout: TimeSpan.FromSeconds(5));

        builder.Services.AddSingleton<SemanticMemoryRepository>();
        builder.Services.AddScoped<SemanticMemoryService>();
        return builder;
    }
}

/// <summary>
/// Ready when the tenant role can log in and read the table, and sees nothing without a tenant:
/// the API serves semantic memory only when row-level security is in force.
/// </summary>
internal sealed class TenantDatabaseHealthCheck(TenantDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM (SELECT 1 FROM semantic_memory WHERE deleted_at IS NULL LIMIT 1) visible");
            return await command.ExecuteScalarAsync(cancellationToken) is 0L
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The tenant role sees rows without a tenant setting: row-level security is not in force.");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The tenant role cannot query semantic memory yet.", ex);
        }
    }
}
