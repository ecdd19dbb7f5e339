using System.ComponentModel.DataAnnotations;

namespace Mnemora.Api.Transfer;

/// <summary>Limits of export and import; bound from <c>Mnemora:Transfer</c>.</summary>
public sealed class TransferOptions
{
    public const string SectionName = "Mnemora:Transfer";

    /// <summary>The largest import body accepted (it is buffered in a temporary file, never in memory); larger gets 413.</summary>
    [Range(1024L, 64L * 1024 * 1024 * 1024)]
    public long MaxImportBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The longest line of an import; the largest record the routes accept fits with room to spare.</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Where imports are buffered while they are validated; the system's temporary directory when unset.</summary>
    public string? TempDirectory { get; set; }
}
