// One AppHost serves the assembly and every test makes tenants of its own, so test classes run in parallel;
// the tests that stop stores, kill workers or flood the system are in Mnemora.Resilience.Tests.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
