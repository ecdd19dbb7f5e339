using Amazon.DynamoDBv2;
using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mnemora.Storage;

namespace Mnemora.Unit.Tests.Storage;

/// <summary><c>Mnemora:Stores</c> sets what one DynamoDB or S3 attempt may wait; a value out of range stops the start.</summary>
public sealed class StoreTimeoutOptionsTests
{
    [Fact]
    public void WithoutConfigurationTheClientsWaitOneAndAHalfAndTwoSecondsAndRetryOnce()
    {
        using var host = Build([]);

        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>().Config;
        var s3 = host.Services.GetRequiredService<IAmazonS3>().Config;

        Assert.Equal(TimeSpan.FromSeconds(1.5), dynamo.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), s3.Timeout);
        Assert.Equal(StoreTimeoutOptions.Attempts - 1, dynamo.MaxErrorRetry);
        Assert.Equal(StoreTimeoutOptions.Attempts - 1, s3.MaxErrorRetry);
    }

    [Fact]
    public void ConfiguredTimeoutsReachTheClients()
    {
        using var host = Build([
            new("Mnemora:Stores:DynamoDbTimeout", "00:00:04"),
            new("Mnemora:Stores:S3Timeout", "00:00:07.5"),
        ]);

        Assert.Equal(TimeSpan.FromSeconds(4), host.Services.GetRequiredService<IAmazonDynamoDB>().Config.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(7.5), host.Services.GetRequiredService<IAmazonS3>().Config.Timeout);
    }

    [Theory]
    [InlineData("DynamoDbTimeout", "00:00:00")]
    [InlineData("DynamoDbTimeout", "-00:00:01")]
    [InlineData("DynamoDbTimeout", "00:02:00")]
    [InlineData("S3Timeout", "00:00:00.050")]
    [InlineData("S3Timeout", "00:10:00")]
    public void ATimeoutOutOfRangeIsRefusedNamingTheKey(string key, string value)
    {
        using var host = Build([new($"Mnemora:Stores:{key}", value)]);

        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<StoreTimeoutOptions>>().Value);

        Assert.Contains(key, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOptionsAreValidatedOnceThoughBothClientsRegisterThem()
    {
        using var host = Build([new("Mnemora:Stores:S3Timeout", "00:00:00")]);

        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<StoreTimeoutOptions>>().Value);

        Assert.Single(failure.Failures);
    }

    private static IHost Build(KeyValuePair<string, string?>[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([
            new("ConnectionStrings:dynamodb", "Endpoint=http://127.0.0.1:1;Region=us-east-1;AccessKey=a;SecretKey=b"),
            new("ConnectionStrings:s3", "Endpoint=http://127.0.0.1:1;Region=us-east-1;AccessKey=a;SecretKey=b"),
            .. settings,
        ]);
        builder.AddMnemoraStorage(provision: false);
        return builder.Build();
    }
}
