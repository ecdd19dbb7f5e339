// Each collection stops stores or kills workers of its own system only (the hardening system, an outage test's
// own system, the shared one for the worker tests, the silent, fair-share and replica systems), so collections run
// in parallel and the tests inside one do not; two at a time, since each starts whole systems on a two-core machine.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
