using System.ComponentModel.DataAnnotations;

namespace Mnemora.Tiering;

/// <summary>How the tiering worker runs; bound from <c>Mnemora:Tiering</c>.</summary>
public sealed class TieringOptions
{
    public const string SectionName = "Mnemora:Tiering";

    /// <summary>Episodes older than this move from DynamoDB to S3.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan HotRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Time between two cycles.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time between two enforcements of the tenants' episode retention (<c>retention_days</c>); the first runs in the first cycle.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "7.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Fault injection for the crash tests, off unless set: a file that names a
    /// <see cref="Mnemora.Storage.Memory.TieringStep"/>, optionally followed by a partition (<c>tenant#agent</c>). When it
    /// exists, the worker deletes it and kills its own process (SIGKILL, no graceful stop) right after that step of the
    /// next batch it moves (of that partition, if named).
    /// </summary>
    public string? FaultFile { get; set; }
}
