namespace Mnemora.AppHost.Infrastructure;

/// <summary>PostgreSQL run from the machine's binaries by <c>eng/run-postgres.sh</c>.</summary>
internal sealed class PostgresProcessResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string Database = "mnemora";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password};Database={Database}");
}

/// <summary>An AWS-compatible emulator (dynalite for DynamoDB, s3rver for S3) run with Node.js.</summary>
internal sealed class AwsEmulatorResource(string name, string workingDirectory, string accessKey, string secretKey)
    : ExecutableResource(name, "node", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "http";

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Endpoint={Endpoint.Property(EndpointProperty.Url)};Region=us-east-1;AccessKey={accessKey};SecretKey={secretKey}");
}
