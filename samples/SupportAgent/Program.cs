using Mnemora.Samples.SupportAgent;

// The support agent of the product brief, for two customers, against a running Mnemora (see SupportAgentDemo.Usage).
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await SupportAgentDemo.RunAsync(args, Console.Out, cancellationToken: cancellation.Token);
