namespace Mnemora.Client;

/// <summary>What an import wrote (<c>POST /v1/memory/import</c>).</summary>
/// <param name="Records">Records in the file.</param>
/// <param name="Imported">Records written, per kind.</param>
/// <param name="Skipped">Records left out, per reason.</param>
/// <param name="EmbeddingsGenerated">Semantic memories embedded again because the file had no vector for them.</param>
public sealed record ImportResult(long Records, ImportedCounts Imported, SkippedCounts Skipped, long EmbeddingsGenerated);

/// <summary>Records an import wrote, per kind.</summary>
/// <param name="State">State records.</param>
/// <param name="Episode">Episodes.</param>
/// <param name="Semantic">Semantic memories.</param>
public sealed record ImportedCounts(long State, long Episode, long Semantic);

/// <summary>Records an import left out.</summary>
/// <param name="ExpiredState">State records already past their expiry.</param>
/// <param name="ExistingEpisode">Episodes already stored at the same position.</param>
public sealed record SkippedCounts(long ExpiredState, long ExistingEpisode);
