// One AppHost serves the assembly; the quota test exhausts a tenant of its own, so tests may share the system but run one at a time to stay light on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
