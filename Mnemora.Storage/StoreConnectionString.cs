using System.Data.Common;

namespace Mnemora.Storage;

/// <summary>
/// The connection string the AppHost gives an AWS-compatible store:
/// <c>Endpoint=http://127.0.0.1:4566;Region=us-east-1;AccessKey=…;SecretKey=…</c>.
/// Only <c>Region</c> is needed for real AWS (credentials then come from the SDK's default chain);
/// <c>Endpoint</c> points the client at LocalStack or an emulator.
/// </summary>
public sealed record StoreConnectionString(Uri? Endpoint, string Region, string? AccessKey, string? SecretKey)
{
    public const string DefaultRegion = "us-east-1";

    public static StoreConnectionString Parse(string connectionName, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"The connection string 'ConnectionStrings:{connectionName}' is missing. " +
                "Run through the AppHost, or set it to 'Region=<aws region>' for AWS or 'Endpoint=<url>;Region=…' for an emulator.");
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = value };
        Uri? endpoint = null;
        if (builder.TryGetValue("Endpoint", out var e) && e is string endpointText && endpointText.Length > 0)
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint))
            {
                throw new InvalidOperationException(
                    $"'ConnectionStrings:{connectionName}' has an Endpoint that is not an absolute URL: '{endpointText}'.");
            }
        }

        return new StoreConnectionString(
            endpoint,
            Get(builder, "Region") ?? DefaultRegion,
            Get(builder, "AccessKey"),
            Get(builder, "SecretKey"));
    }

    private static string? Get(DbConnectionStringBuilder builder, string key) =>
        builder.TryGetValue(key, out var v) && v is string s && s.Length > 0 ? s : null;
}
