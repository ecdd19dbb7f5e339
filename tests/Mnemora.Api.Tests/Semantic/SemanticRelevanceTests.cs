using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>On a small labelled set, the memory that answers a query ranks first.</summary>
public sealed class SemanticRelevanceTests(MnemoraApp system)
{
    private static readonly string[] s_memories =
    [
        "To reset your password, open Settings, choose Security and click 'Forgot password'.",
        "Refunds are issued to the original payment method within five business days.",
        "Our support team is available by chat from 8 am to 8 pm, Monday to Friday.",
        "The mobile app works on iOS 16 and Android 12 or newer.",
        "Invoices can be downloaded as PDF from the Billing page.",
        "Two-factor authentication can be enabled with any TOTP authenticator app.",
        "Orders ship from our warehouse in Rotterdam within 24 hours.",
        "You can delete your account permanently under Settings, Privacy.",
        "The API is limited to 500 requests per day on the free plan.",
        "Dark mode can be switched on in Appearance settings.",
    ];

    public static TheoryData<string, int> Queries => new()
    {
        { "I forgot my login credentials, how do I get back in?", 0 },
        { "how long until I get my money back", 1 },
        { "when can I talk to a human agent", 2 },
        { "is my phone supported", 3 },
        { "where do I find my bill", 4 },
        { "set up 2FA", 5 },
        { "how fast is delivery", 6 },
        { "close my account for good", 7 },
        { "rate limits for free users", 8 },
        { "make the screen darker at night", 9 },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task TheMemoryThatAnswersTheQueryRanksFirst(string query, int expected)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        foreach (var memory in s_memories)
        {
            await tenant.StoreAsync(new { agent_id = "support", content = memory, @namespace = "kb" });
        }

        var results = await tenant.SearchAsync(new { query, agent_id = "support", @namespace = "kb", top_k = 3, threshold = 0.0 });

        Assert.Equal(s_memories[expected], results[0].Content());
    }
}
