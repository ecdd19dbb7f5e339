using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Client;
using Mnemora.Dashboard.Operator;

namespace Mnemora.Dashboard.Tests.Components;

/// <summary>The pages get the SDK's operator client, pointed at the API with the dashboard's operator key.</summary>
public sealed class DashboardServicesTests
{
    [Fact]
    public async Task ThePagesCallTheApiThroughTheSdksOperatorClientWithTheDashboardsSettings()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mnemora:OperatorKey"] = "op_0123456789abcdef",
            ["Mnemora:DashboardPassword"] = "correct horse battery",
            ["Mnemora:ApiBaseAddress"] = "http://api.test:5080",
        });
        builder.AddDashboardServices();
        await using var app = builder.Build();

        Assert.NotNull(app.Services.GetRequiredService<OperatorCalls>());
        var client = app.Services.GetRequiredService<IOptions<MnemoraOperatorClientOptions>>().Value;
        Assert.Equal(new Uri("http://api.test:5080"), client.BaseAddress);
        Assert.Equal("op_0123456789abcdef", client.OperatorKey);
        // Creating a tenant or issuing a key is never sent twice.
        Assert.False(client.Retry.RetryUnsafeMethods);
    }
}
