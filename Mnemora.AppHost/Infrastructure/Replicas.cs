namespace Mnemora.AppHost.Infrastructure;

/// <summary>
/// Several API replicas (<c>Mnemora:ApiReplicas</c>, default 1) behind the AppHost's endpoint, and the
/// Redis they then share their limits in: each tenant's burst bucket, each client's key-guard and
/// operator-key buckets. With one replica there is no Redis and the limits live in the API's memory.
/// </summary>
internal static class ReplicaExtensions
{
    public const string ConfigurationKey = "Mnemora:ApiReplicas";

    // The connection name the API reads (Mnemora.Api.Tenancy.RateBucketExtensions uses the same).
    private const string RedisName = "redis";

    public static int ApiReplicas(this IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return 1;
        }

        return int.TryParse(configured, out var replicas) && replicas is >= 1 and <= 64
            ? replicas
            : throw new InvalidOperationException($"'{ConfigurationKey}' is '{configured}'; expected a number of replicas from 1 to 64.");
    }

    /// <summary>Runs <paramref name="replicas"/> copies of the API; with more than one, gives them a Redis for the shared limits.</summary>
    public static IResourceBuilder<ProjectResource> WithApiReplicas(this IResourceBuilder<ProjectResource> api, InfrastructureMode mode, int replicas)
    {
        if (replicas == 1)
        {
            return api;
        }

        var builder = api.ApplicationBuilder;
        api.WithReplicas(replicas);
        if (mode == InfrastructureMode.External)
        {
            // A managed Redis (ElastiCache, Azure Cache for Redis): ConnectionStrings:redis, or a parameter in a manifest.
            api.WithReference(builder.AddConnectionString(RedisName));
            return api;
        }

        var redis = mode == InfrastructureMode.Containers
            ? (IResourceBuilder<IResourceWithConnectionString>)builder.AddRedis(RedisName)
            : builder.AddRedisProcess();
        api.WithReference(redis).WaitFor(redis);
        return api;
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddRedisProcess(this IDistributedApplicationBuilder builder)
    {
        const string server = "/usr/bin/redis-server";
        if (!File.Exists(server))
        {
            throw new InvalidOperationException($"'{server}' is missing: run eng/bootstrap.sh first (it installs Debian's redis-server).");
        }

        // Limits only: nothing is written to disk, and it listens on loopback alone.
        return builder.AddResource(new RedisProcessResource(RedisName, server, builder.AppHostDirectory))
            .WithEndpoint(name: RedisProcessResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                var resource = (RedisProcessResource)context.Resource;
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--save");
                context.Args.Add("");
                context.Args.Add("--appendonly");
                context.Args.Add("no");
            });
    }
}

/// <summary>Debian's <c>redis-server</c> run as a process, for the replicas' shared limits.</summary>
internal sealed class RedisProcessResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}
