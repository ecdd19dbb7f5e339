using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mnemora.AppHost.Infrastructure;

/// <summary>The three stores as the services see them: a connection string each, and what to wait for.</summary>
internal sealed record Stores(
    IResourceBuilder<IResourceWithConnectionString> Postgres,
    IResourceBuilder<IResourceWithConnectionString> DynamoDb,
    IResourceBuilder<IResourceWithConnectionString> S3,
    IReadOnlyList<IResourceBuilder<IResource>> WaitFor);

internal static class StoresExtensions
{
    // Connection names the services read (Mnemora.Storage.StorageExtensions uses the same).
    private const string PostgresName = "postgres";
    private const string DynamoDbName = "dynamodb";
    private const string S3Name = "s3";

    public static Stores AddMnemoraStores(this IDistributedApplicationBuilder builder, InfrastructureMode mode) => mode switch
    {
        InfrastructureMode.Containers => builder.AddContainerStores(),
        InfrastructureMode.Processes => builder.AddProcessStores(),
        _ => builder.AddExternalStores(),
    };

    /// <summary>References every store and waits until each is healthy before the service starts.</summary>
    public static IResourceBuilder<T> WithStores<T>(this IResourceBuilder<T> service, Stores stores)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        service.WithReference(stores.Postgres).WithAwsStores(stores);

    /// <summary>
    /// References DynamoDB and S3 only, and waits until the stores are healthy: for a service that needs no
    /// PostgreSQL (the tiering worker), which then never holds the owner's connection string.
    /// </summary>
    public static IResourceBuilder<T> WithAwsStores<T>(this IResourceBuilder<T> service, Stores stores)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        service.WithReference(stores.DynamoDb).WithReference(stores.S3);
        foreach (var dependency in stores.WaitFor)
        {
            service.WaitFor(dependency);
        }

        return service;
    }

    private static Stores AddContainerStores(this IDistributedApplicationBuilder builder)
    {
        var password = builder.AddParameter("postgres-password", Secrets.Generated, secret: true, persist: true);
        var server = builder.AddPostgres("postgres-server", password: password)
            .WithImage("pgvector/pgvector", "pg17")
            .WithDataVolume("mnemora-postgres");
        var database = server.AddDatabase(PostgresName, PostgresProcessResource.Database);

        var localstack = builder.AddContainer("localstack", "localstack/localstack", "4.4")
            .WithHttpEndpoint(targetPort: 4566, name: "http")
            .WithEnvironment("SERVICES", "dynamodb,s3")
            .WithHttpHealthCheck("/_localstack/health");
        var endpoint = localstack.GetEndpoint("http");
        var dynamo = builder.AddConnectionString(DynamoDbName, ReferenceExpression.Create($"Endpoint={endpoint};Region=us-east-1;AccessKey=test;SecretKey=test"));
        var s3 = builder.AddConnectionString(S3Name, ReferenceExpression.Create($"Endpoint={endpoint};Region=us-east-1;AccessKey=test;SecretKey=test"));

        return new Stores(database.AsConnectionString(), dynamo.AsConnectionString(), s3.AsConnectionString(), [database.AsResource(), localstack.AsResource()]);
    }

    private static Stores AddProcessStores(this IDistributedApplicationBuilder builder)
    {
        var root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        var emulators = Path.Combine(root, "eng", "emulators", "node_modules");
        if (!Directory.Exists(emulators))
        {
            throw new InvalidOperationException($"'{emulators}' is missing: run eng/bootstrap.sh first (the README's run command does).");
        }

        // Data the user can find and delete: .mnemora/data in the repository unless configured.
        var data = Path.GetFullPath(builder.Configuration["Mnemora:DataDirectory"] ?? Path.Combine(root, ".mnemora", "data"));
        Directory.CreateDirectory(Path.Combine(data, "dynamodb"));
        Directory.CreateDirectory(Path.Combine(data, "s3"));

        var password = builder.AddParameter("postgres-password", Secrets.Generated, secret: true, persist: true);
        var postgres = builder.AddResource(new PostgresProcessResource(PostgresName, root, password.Resource))
            .WithEndpoint(name: PostgresProcessResource.EndpointName, scheme: "tcp")
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithArgs(context =>
            {
                var resource = (PostgresProcessResource)context.Resource;
                context.Args.Add(Path.Combine(root, "eng", "run-postgres.sh"));
                context.Args.Add(Path.Combine(data, "postgres"));
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
            });
        var postgresReady = $"{PostgresName}-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(postgresReady, async cancellationToken =>
        {
            var connectionString = await postgres.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not accept connections yet.", ex);
            }
        });
        postgres.WithHealthCheck(postgresReady);

        var dynamo = builder.AddResource(new AwsEmulatorResource(DynamoDbName, root, "local", "local"))
            .WithHttpEndpoint(name: AwsEmulatorResource.EndpointName)
            .WithArgs(context =>
            {
                var resource = (AwsEmulatorResource)context.Resource;
                context.Args.Add(Path.Combine(emulators, "dynalite", "cli.js"));
                context.Args.Add("--host");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--path");
                context.Args.Add(Path.Combine(data, "dynamodb"));
                context.Args.Add("--createTableMs");
                context.Args.Add("0");
            })
            .WithHttpHealthCheck("/");

        var s3 = builder.AddResource(new AwsEmulatorResource(S3Name, root, "S3RVER", "S3RVER"))
            .WithHttpEndpoint(name: AwsEmulatorResource.EndpointName)
            .WithArgs(context =>
            {
                var resource = (AwsEmulatorResource)context.Resource;
                // s3rver's list continuation tokens use DES, which Node's OpenSSL 3 only has in its legacy provider:
                // without it every truncated ListObjectsV2 (more keys than MaxKeys) fails with a 500.
                context.Args.Add("--openssl-legacy-provider");
                context.Args.Add(Path.Combine(emulators, "s3rver", "bin", "s3rver.js"));
                context.Args.Add("--address");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--directory");
                context.Args.Add(Path.Combine(data, "s3"));
                context.Args.Add("--silent");
            })
            .WithHttpHealthCheck("/");

        return new Stores(postgres.AsConnectionString(), dynamo.AsConnectionString(), s3.AsConnectionString(), [postgres.AsResource(), dynamo.AsResource(), s3.AsResource()]);
    }

    private static Stores AddExternalStores(this IDistributedApplicationBuilder builder)
    {
        // ConnectionStrings:postgres, :dynamodb ("Region=eu-west-1") and :s3 in configuration, or parameters in a manifest.
        var postgres = builder.AddConnectionString(PostgresName);
        var dynamo = builder.AddConnectionString(DynamoDbName);
        var s3 = builder.AddConnectionString(S3Name);
        return new Stores(postgres, dynamo, s3, []);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AsConnectionString<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString => (IResourceBuilder<IResourceWithConnectionString>)builder;

    private static IResourceBuilder<IResource> AsResource<T>(this IResourceBuilder<T> builder)
        where T : IResource => (IResourceBuilder<IResource>)builder;
}
