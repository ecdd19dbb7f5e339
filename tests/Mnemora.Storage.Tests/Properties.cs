// One set of stores serves the assembly; every test uses keys (tenants, tables, databases) of its own, so classes run in parallel.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
