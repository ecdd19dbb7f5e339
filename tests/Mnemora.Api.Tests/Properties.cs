// One AppHost serves the assembly; tests that stop a store start their own and must not overlap others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
