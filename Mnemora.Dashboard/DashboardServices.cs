using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.FluentUI.AspNetCore.Components;
using Mnemora.Client;
using Mnemora.Dashboard.Account;
using Mnemora.Dashboard.Operator;

namespace Mnemora.Dashboard;

public static class DashboardServices
{
    public static IHostApplicationBuilder AddDashboardServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DashboardOptions>()
            .BindConfiguration(DashboardOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddFluentUIComponents();
        services.AddSingleton(TimeProvider.System);

        builder.AddOperatorSignIn();

        // The API only through the SDK's operator client; the operator key is set here, on the server, and nowhere else.
        var api = services.AddMnemoraOperatorClient();
        services.AddOptions<MnemoraOperatorClientOptions>().Configure<IOptions<DashboardOptions>>((client, dashboard) =>
        {
            client.BaseAddress = dashboard.Value.ApiBaseAddress;
            client.OperatorKey = dashboard.Value.OperatorKey;
            // Creating a tenant or issuing a key must not run twice; a tenant's purge may take a while.
            client.Retry.RetryUnsafeMethods = false;
            client.AttemptTimeout = TimeSpan.FromSeconds(90);
            client.Timeout = TimeSpan.FromMinutes(2);
        });
        services.AddOptions<HttpStandardResilienceOptions>($"{api.Name}-standard").Configure(resilience =>
        {
            resilience.Retry.DisableForUnsafeHttpMethods();
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(90);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(2);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(3);
        });
        services.AddTransient<OperatorCalls>();

        return builder;
    }
}
