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
}
