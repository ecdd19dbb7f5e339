using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemora.Client;

namespace Mnemora.Samples.SupportAgent;

/// <summary>
/// Runs the support agent for two customers against a running Mnemora, checks that each sees only
/// its own knowledge and history, then purges both. Exit code 0 when every claim holds, 1 when one
/// fails, 2 when the settings are missing.
/// </summary>
public static class SupportAgentDemo
{
    public const string Usage = """
        Usage: dotnet run --project samples/SupportAgent -- --api-url http://localhost:5080 (--operator-key <key> | --customer-a-key <key> --customer-b-key <key>)
          --api-url          the server's root URL (or MNEMORA_API_URL)
          --operator-key     creates two demo tenants and deletes them at the end (or MNEMORA_OPERATOR_KEY)
          --customer-a-key   an existing tenant's API key for the first customer (or SupportAgent__CustomerAKey)
          --customer-b-key   another tenant's API key for the second customer (or SupportAgent__CustomerBKey)
        """;

    private static readonly Dictionary<string, string> s_switches = new(StringComparer.Ordinal)
    {
        ["--api-url"] = "Mnemora:BaseAddress",
        ["--operator-key"] = "Mnemora:OperatorKey",
        ["--customer-a-key"] = "SupportAgent:CustomerAKey",
        ["--customer-b-key"] = "SupportAgent:CustomerBKey",
    };

    /// <summary>The sample's entry: <paramref name="chatClient"/> replaces the offline model when given.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, IChatClient? chatClient = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "SupportAgent" });
        builder.Configuration.AddCommandLine(args, s_switches);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var operatorKey = builder.Configuration["Mnemora:OperatorKey"] ?? Environment.GetEnvironmentVariable("MNEMORA_OPERATOR_KEY");
        var customerKeys = (A: builder.Configuration["SupportAgent:CustomerAKey"], B: builder.Configuration["SupportAgent:CustomerBKey"]);
        if (customerKeys is not ({ Length: > 0 }, { Length: > 0 }) && string.IsNullOrEmpty(operatorKey))
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }

        builder.Services.AddMnemoraClient();
        if (!string.IsNullOrEmpty(operatorKey))
        {
            builder.Services.AddMnemoraOperatorClient();
        }

        builder.Services.AddSingleton<IChatClient>(chatClient ?? new ExtractiveChatClient());
        builder.Services.AddSingleton<SupportAgent>();

        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (OptionsValidationException invalid)
        {
            await output.WriteLineAsync(invalid.Message);
            await output.WriteLineAsync(Usage);
            return 2;
        }

        var run = new DemoRun(host.Services, output);
        var passed = await run.RunAsync(customerKeys.A, customerKeys.B, cancellationToken);
        await host.StopAsync(cancellationToken);
        return passed ? 0 : 1;
    }

    /// <summary>One run: provisioning, tickets, claims, purge, clean-up.</summary>
    private sealed class DemoRun(IServiceProvider services, TextWriter output)
    {
        private readonly string _runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        private readonly List<(string Claim, bool Holds, string? Why)> _claims = [];

        public async Task<bool> RunAsync(string? keyA, string? keyB, CancellationToken cancellationToken)
        {
            var factory = services.GetRequiredService<IMnemoraClientFactory>();
            var created = new List<string>();
            try
            {
                if (keyA is not { Length: > 0 } || keyB is not { Length: > 0 })
                {
                    keyA = await CreateDemoTenantAsync("acme", created, cancellationToken);
                    keyB = await CreateDemoTenantAsync("globex", created, cancellationToken);
                }

                var acme = new Customer(CustomerScript.Acme, factory.CreateClient(keyA));
                var globex = new Customer(CustomerScript.Globex, factory.CreateClient(keyB));
                await SeedAsync(acme, cancellationToken);
                await SeedAsync(globex, cancellationToken);
                await ServeAsync(acme, cancellationToken);
                await ServeAsync(globex, cancellationToken);

                await output.WriteLineAsync("\nIsolation claims");
                CheckAnswers(acme, globex);
                CheckAnswers(globex, acme);
                CheckLearning(acme, globex);
                await CheckCrossReadsAsync(acme, globex, cancellationToken);
                await CheckCrossReadsAsync(globex, acme, cancellationToken);
                await CheckHistoryAsync(acme, globex, cancellationToken);
                await CheckHistoryAsync(globex, acme, cancellationToken);
                await PurgeAsync(acme, survivor: globex, cancellationToken);
                await PurgeAsync(globex, survivor: null, cancellationToken);
            }
            finally
            {
                foreach (var tenantId in created)
                {
                    await services.GetRequiredService<MnemoraOperatorClient>().DeleteTenantAsync(tenantId, CancellationToken.None);
                }
            }

            var failed = _claims.Count(c => !c.Holds);
            await output.WriteLineAsync($"\n{_claims.Count - failed} of {_claims.Count} claims hold.");
            return failed == 0;
        }

        private async Task<string> CreateDemoTenantAsync(string name, List<string> created, CancellationToken cancellationToken)
        {
            var admin = services.GetRequiredService<MnemoraOperatorClient>();
            var tenant = await admin.CreateTenantAsync($"demo-{name}-{_runId}", $"Demo {name}", TenantTier.Free, cancellationToken);
            created.Add(tenant.TenantId);
            var key = await admin.IssueKeyAsync(tenant.TenantId, "support-agent demo", cancellationToken);
            await output.WriteLineAsync($"Created tenant {tenant.TenantId} with key {key.Prefix}…");
            return key.ApiKey;
        }

        private static async Task SeedAsync(Customer customer, CancellationToken cancellationToken)
        {
            foreach (var fact in customer.Script.Handbook)
            {
                var memory = await customer.Client.StoreMemoryAsync(SupportAgent.AgentId, fact, metadata: new() { ["source"] = "handbook" }, cancellationToken: cancellationToken);
                customer.MemoryIds.Add(memory.Id);
            }
        }

        private async Task ServeAsync(Customer customer, CancellationToken cancellationToken)
        {
            var agent = services.GetRequiredService<SupportAgent>();
            await output.WriteLineAsync($"\n== {customer.Script.Name}");
            foreach (var message in customer.Script.Messages)
            {
                var ticketId = $"ticket-{_runId}-{customer.Script.Name}-{customer.Replies.Count + 1}";
                var reply = await agent.HandleCustomerMessageAsync(customer.Client, message, ticketId, cancellationToken);
                customer.Replies.Add((message, reply));
                if (reply.Learned is { } learned)
                {
                    customer.MemoryIds.Add(learned.Id);
                }

                await output.WriteLineAsync($"[{ticketId}] customer: {message}");
                await output.WriteLineAsync($"[{ticketId}] agent:    {reply.Answer}");
            }
        }

        /// <summary>Each search found only this customer's memories, and no answer shows a fact of the other's.</summary>
        private void CheckAnswers(Customer customer, Customer other)
        {
            var foreign = customer.Replies.SelectMany(r => r.Reply.Context).Where(line => other.Script.OwnFacts.Any(fact => line.Contains(fact, StringComparison.OrdinalIgnoreCase))).ToList();
            Claim($"{customer.Name}'s searches return none of {other.Name}'s knowledge", foreign.Count == 0, $"found {string.Join(", ", foreign)}");

            var refund = customer.Replies.First(r => r.Message == CustomerScript.RefundQuestion).Reply;
            Claim($"{customer.Name}'s refund question finds {customer.Name}'s own refund policy", refund.Context.Contains(customer.Script.Handbook[0]), "its handbook's refund line was not in the context");

            var leaked = customer.Replies
                .SelectMany(r => other.Script.OwnFacts.Where(fact => r.Reply.Answer.Contains(fact, StringComparison.OrdinalIgnoreCase)))
                .ToList();
            Claim($"no answer to {customer.Name} mentions what only {other.Name} knows", leaked.Count == 0, $"mentioned {string.Join(", ", leaked)}");
        }

        /// <summary>What acme taught its agent is found by acme's next question, and not by globex asking the same.</summary>
        private void CheckLearning(Customer learner, Customer other)
        {
            var note = learner.Replies.First(r => r.Message == CustomerScript.AccountManagerNote).Reply.Learned;
            var asked = learner.Replies.First(r => r.Message == CustomerScript.AccountManagerQuestion).Reply;
            var otherAsked = other.Replies.First(r => r.Message == CustomerScript.AccountManagerQuestion).Reply;
            Claim($"{learner.Name}'s agent learns from {learner.Name}'s ticket and recalls it later", note is not null && asked.Context.Contains(note.Content), "the learned note was not found");
            Claim($"{other.Name}'s agent does not learn what {learner.Name} told its agent", note is not null && otherAsked.Context.All(line => !line.Contains("Dana", StringComparison.Ordinal)) && !otherAsked.Answer.Contains("Dana", StringComparison.Ordinal), "the note reached the other customer");
        }

        /// <summary>The other customer's key reads none of this customer's memories or tickets, even by exact id.</summary>
        private async Task CheckCrossReadsAsync(Customer owner, Customer intruder, CancellationToken cancellationToken)
        {
            var readable = new List<string>();
            foreach (var id in owner.MemoryIds)
            {
                try
                {
                    await intruder.Client.GetMemoryAsync(id, cancellationToken);
                    readable.Add(id.ToString());
                }
                catch (NotFoundException)
                {
                }
            }

            foreach (var (_, reply) in owner.Replies)
            {
                // A session the key's tenant does not have replays as empty (200), exactly like an unused one.
                if (await intruder.Client.ReplaySessionAsync(SupportAgent.AgentId, reply.TicketId, cancellationToken).CountAsync(cancellationToken) > 0)
                {
                    readable.Add(reply.TicketId);
                }
            }

            Claim($"{intruder.Name}'s key gets 404 for each of {owner.Name}'s memories by id and sees none of its tickets", readable.Count == 0, $"could read {string.Join(", ", readable)}");
        }

        /// <summary>This customer's history holds every ticket of this run and none of the other's.</summary>
        private async Task CheckHistoryAsync(Customer customer, Customer other, CancellationToken cancellationToken)
        {
            var sessions = await customer.Client.ListEpisodesAsync(SupportAgent.AgentId, cancellationToken: cancellationToken)
                .Select(e => e.SessionId)
                .ToHashSetAsync(cancellationToken: cancellationToken);
            var own = customer.Replies.Select(r => r.Reply.TicketId).ToList();
            var foreign = other.Replies.Select(r => r.Reply.TicketId).Where(sessions.Contains).ToList();
            Claim($"{customer.Name}'s history holds its {own.Count} tickets and none of {other.Name}'s", own.All(sessions.Contains) && foreign.Count == 0, $"missing {string.Join(", ", own.Where(t => !sessions.Contains(t)))}; foreign {string.Join(", ", foreign)}");
        }

        /// <summary>The GDPR purge empties this customer's agent and leaves the other customer's untouched.</summary>
        private async Task PurgeAsync(Customer customer, Customer? survivor, CancellationToken cancellationToken)
        {
            PurgeResult purged;
            try
            {
                purged = await customer.Client.PurgeAgentAsync(SupportAgent.AgentId, cancellationToken);
            }
            catch (NotFoundException)
            {
                Claim($"{customer.Name}'s agent can be purged", false, "this server has no DELETE /v1/memory/{agent_id}");
                return;
            }

            await output.WriteLineAsync($"Purged {customer.Name}: {purged.SemanticDeleted} memories, {purged.EpisodesDeleted} episodes, {purged.StateDeleted} states.");
            var episodes = customer.Replies.Count * 2;
            Claim($"{customer.Name}'s purge deletes its memories and episodes", purged.SemanticDeleted >= customer.MemoryIds.Count && purged.EpisodesDeleted >= episodes, $"deleted {purged.SemanticDeleted} memories and {purged.EpisodesDeleted} episodes");

            var left = await customer.Client.SearchMemoryAsync(CustomerScript.RefundQuestion, agentId: SupportAgent.AgentId, cancellationToken: cancellationToken);
            var history = await customer.Client.ListEpisodesAsync(SupportAgent.AgentId, cancellationToken: cancellationToken).CountAsync(cancellationToken);
            Claim($"after the purge {customer.Name}'s agent finds nothing and has no history", left.Count == 0 && history == 0, $"{left.Count} memories and {history} episodes left");

            if (survivor is not null)
            {
                var kept = await survivor.Client.SearchMemoryAsync(CustomerScript.RefundQuestion, agentId: SupportAgent.AgentId, cancellationToken: cancellationToken);
                Claim($"{customer.Name}'s purge leaves {survivor.Name}'s knowledge in place", kept.Any(m => m.Id == survivor.MemoryIds[0]), "the other customer's refund policy is gone");
            }
        }

        private void Claim(string claim, bool holds, string why)
        {
            _claims.Add((claim, holds, holds ? null : why));
            output.WriteLine(holds ? $"  ✔ {claim}" : $"  ✘ {claim}: {why}");
        }
    }

    private sealed class Customer(CustomerScript script, MnemoraClient client)
    {
        public CustomerScript Script { get; } = script;

        public string Name => Script.Name;

        public MnemoraClient Client { get; } = client;

        public List<Guid> MemoryIds { get; } = [];

        public List<(string Message, SupportReply Reply)> Replies { get; } = [];
    }
}
