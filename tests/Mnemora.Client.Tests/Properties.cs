// One AppHost serves the assembly and every test makes tenants of its own, so test classes run in parallel.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
