using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;


namespace Mnemora.Storage.Postgres;

public static class PostgresExtensions
{
    /// <summary>
    /// Registers the PostgreSQL data source (tracing and metrics from Aspire.Npgsql)
    /// and its health check. The connection string comes from <c>ConnectionStrings:{connectionName}</c>.
    /// </summary>
    public static IHostApplicationBuilder AddMnemoraPostgres(this IHostApplicationBuilder builder, string connectionName)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(connectionName)))
        {
            throw new InvalidOperationException(
                $"The connection string 'ConnectionStrings:{connectionName}' is missing. Run through the AppHost, or set it to a PostgreSQL connection string.");
        }

        // Embeddings travel as real[] and are cast to vector in SQL, so no type plugin is needed.
        builder.AddNpgsqlDataSource(connectionName, settings => settings.DisableHealthChecks = true);

        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout);
        return builder;
    }
}
