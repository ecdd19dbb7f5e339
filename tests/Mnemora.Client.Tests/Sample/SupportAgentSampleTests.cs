using Mnemora.Client.Tests.Infrastructure;
using Mnemora.Samples.SupportAgent;

namespace Mnemora.Client.Tests.Sample;

public sealed class SupportAgentSampleTests(MnemoraApp system)
{
    [Fact]
    public async Task TheSampleShowsEachCustomerOnlyItsOwnKnowledgeAndHistoryThenPurges()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await RequireMemoryRoutesAsync(cancellationToken);
        await system.RequireAsync(Routes.PurgeProbe, cancellationToken);
        using var output = new StringWriter();

        var exitCode = await SupportAgentDemo.RunAsync(["--api-url", system.ApiUrl.ToString(), "--operator-key", system.OperatorKey], output, cancellationToken: cancellationToken);

        var transcript = output.ToString();
        Assert.True(exitCode == 0, transcript);
        Assert.DoesNotContain("✘", transcript, StringComparison.Ordinal);
        Assert.Contains("30 days", transcript, StringComparison.Ordinal);
        Assert.Contains("14 days", transcript, StringComparison.Ordinal);
        Assert.Contains("Dana Whitfield", transcript, StringComparison.Ordinal);
        // The demo tenants are deleted at the end.
        Assert.DoesNotContain(await system.Operator.ListTenantsAsync(cancellationToken), t => t.TenantId.StartsWith("demo-", StringComparison.Ordinal) && t.DeletedAt is null);
    }

    [Fact]
    public async Task TheSampleFailsItsIsolationClaimsWhenBothCustomersShareOneTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await RequireMemoryRoutesAsync(cancellationToken);
        var shared = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var output = new StringWriter();

        var exitCode = await SupportAgentDemo.RunAsync(
            ["--api-url", system.ApiUrl.ToString(), "--customer-a-key", shared.ApiKey, "--customer-b-key", shared.ApiKey], output, cancellationToken: cancellationToken);

        var transcript = output.ToString();
        Assert.True(exitCode == 1, transcript);
        Assert.Contains("✘ acme's searches return none of globex's knowledge", transcript, StringComparison.Ordinal);
        Assert.Contains("✘ globex's key gets 404 for each of acme's memories by id and sees none of its tickets", transcript, StringComparison.Ordinal);
        await system.Operator.DeleteTenantAsync(shared.TenantId, cancellationToken);
    }

    [Fact]
    public async Task TheSampleExplainsItsSettingsWhenNoneAreGiven()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("MNEMORA_OPERATOR_KEY") is { Length: > 0 }, "MNEMORA_OPERATOR_KEY is set here.");
        using var output = new StringWriter();

        var exitCode = await SupportAgentDemo.RunAsync([], output, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        Assert.Contains("--api-url", output.ToString(), StringComparison.Ordinal);
    }

    private async Task RequireMemoryRoutesAsync(CancellationToken cancellationToken)
    {
        await system.RequireAsync(Routes.SemanticProbe, cancellationToken);
        await system.RequireAsync(Routes.EpisodicProbe, cancellationToken);
    }
}
