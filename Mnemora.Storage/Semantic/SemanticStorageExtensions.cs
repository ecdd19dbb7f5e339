using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Postgres;
using Mnemora.Storage.Provisioning;
using Npgsql;

namespace Mnemora.Storage.Semantic;

public static class SemanticStorageExtensions
{
    /// <summary>
    /// Semantic memory in PostgreSQL, registered like an Aspire integration: the tenant role's data source
    /// (<see cref="TenantDatabase"/>, the only PostgreSQL data source in the container), the repository,
    /// health checks, tracing and metrics. With <paramref name="provision"/> the start also applies the
    /// migrations and readies the tenant role, as the owner of <c>ConnectionStrings:postgres</c>, through a
    /// data source that lives only for that step: no service can inject the owner and bypass row-level security.
    /// </summary>
    public static IHostApplicationBuilder AddMnemoraSemanticStore(this IHostApplicationBuilder builder, bool provision)
    {
        const string connectionName = StorageExtensions.PostgresConnection;
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(connectionName)))
        {
            throw new InvalidOperationException(
                $"The connection string 'ConnectionStrings:{connectionName}' is missing. Run through the AppHost, or set it to a PostgreSQL connection string.");
        }

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
            var options = services.GetRequiredService<IOptions<TenantDatabaseOptions>>().Value;
            var dataSource = BuildTenantDataSource(
                services.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)!, options, services.GetRequiredService<ILoggerFactory>());
            return new TenantDatabase(dataSource, new TenantShare("postgres", options.MaxConnectionsPerTenant, options.ConnectTimeout));
        });

        // Npgsql traces and meters every data source; these make them visible, as Aspire.Npgsql does.
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddNpgsql())
            .WithMetrics(metrics => metrics.AddNpgsqlInstrumentation());

        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout)
            .AddCheck<TenantDatabaseHealthCheck>("postgres-tenant-role", timeout: TimeSpan.FromSeconds(5));

        // Deduplication's judge: the offline rule; a chat-model judge may be registered before this in its place.
        builder.Services.TryAddSingleton<IDuplicateJudge>(RuleDuplicateJudge.Instance);
        builder.Services.AddSingleton<SemanticMemoryRepository>();
        builder.Services.AddSingleton<SemanticAgents>();

        if (provision)
        {
            // Run by the StoreProvisioner beside the other stores' provisioning.
            builder.Services.AddSingleton<PostgresProvisioner>();
        }

        return builder;
    }

    /// <summary>The owner's connection string with the tenant role's credentials and the pool's limits instead.</summary>
    private static NpgsqlDataSource BuildTenantDataSource(string ownerConnectionString, TenantDatabaseOptions options, ILoggerFactory loggerFactory)
    {
        var connection = new NpgsqlConnectionStringBuilder(ownerConnectionString)
        {
            Username = SemanticSchema.AppRole,
            Password = options.AppPassword,
            MaxPoolSize = options.MaxPoolSize,
            Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds),
            CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds),
            ApplicationName = "mnemora-api-tenant",
            // The server's own limits: a statement or an idle transaction whose client went away still ends.
            Options = string.Create(CultureInfo.InvariantCulture,
                $"-c statement_timeout={(long)options.CommandTimeout.TotalMilliseconds} -c idle_in_transaction_session_timeout={(long)options.IdleInTransactionTimeout.TotalMilliseconds}"),
        };
        // Vectors travel in pgvector's binary form (the Pgvector plugin), not as text or real[] cast in SQL.
        var builder = new NpgsqlDataSourceBuilder(connection.ConnectionString).UseLoggerFactory(loggerFactory);
        builder.UseVector();
        return builder.Build();
    }
}
