using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Tenancy;

/// <summary>A tenant's API calls per UTC day, from the day counters the quota keeps (one Query on the tenant's partition).</summary>
public sealed class CallHistory(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    /// <summary>Calls on each day from <paramref name="first"/> to <paramref name="last"/> (inclusive), oldest first; days without calls are 0.</summary>
    public async Task<IReadOnlyList<(DateOnly Date, long Calls)>> GetDailyCallsAsync(string tenantId, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        var calls = new Dictionary<DateOnly, long>();
        var request = new QueryRequest
        {
            TableName = options.Value.TenantsTable,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues = new(StringComparer.Ordinal)
            {
                [":pk"] = S(TenantItems.TenantPk(tenantId)),
                [":first"] = S(DaySk(first)),
                [":last"] = S(DaySk(last)),
            },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var item in response.Items ?? [])
            {
                var sk = item.RequireString(Aws.DynamoTables.SortKey);
                // USAGE#DAY#yyyy-MM-dd: the day is the last ten characters.
                if (DateOnly.TryParseExact(sk[^10..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    calls[day] = item.GetLong(A.Calls);
                }
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        var days = new List<(DateOnly, long)>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            days.Add((day, calls.GetValueOrDefault(day)));
        }

        return days;
    }

    private static string DaySk(DateOnly day) => TenantItems.DaySk(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
}
