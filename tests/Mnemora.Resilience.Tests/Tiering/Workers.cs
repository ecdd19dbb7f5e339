namespace Mnemora.Api.Tests.Tiering;

/// <summary>
/// The tests that run a tiering worker process against the shared system: a worker moves every partition past
/// its retention, so two of them at once would move each other's episodes.
/// </summary>
[CollectionDefinition(nameof(Workers))]
public sealed class Workers;
