using Amazon.Runtime;
using Amazon.DynamoDBv2;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mnemora.Storage.Aws;

internal sealed class DynamoDbHealthCheck(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var table = await dynamo.DescribeTableAsync(options.Value.MemoryTable, cancellationToken);
            return table.Table.TableStatus == TableStatus.ACTIVE
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Degraded($"Table is {table.Table.TableStatus}.");
        }
        catch (Amazon.DynamoDBv2.Model.ResourceNotFoundException)
        {
            return HealthCheckResult.Unhealthy("The memory table is not provisioned yet.");
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("DynamoDB is unreachable.", ex);
        }
    }
}
