namespace Mnemora.Api.Memory;

/// <summary>Why a write was refused before it reached a store; each route maps it to the error envelope.</summary>
public sealed record WriteRefusal(WriteRefusalReason Reason, string Message)
{
    public static WriteRefusal Invalid(string message) => new(WriteRefusalReason.Invalid, message);

    public static WriteRefusal TooLarge(string what, int limit) =>
        new(WriteRefusalReason.TooLarge, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} is limited to {limit} bytes serialised."));
}

public enum WriteRefusalReason
{
    /// <summary>A value breaks the contract's rules (400).</summary>
    Invalid,

    /// <summary>A value is larger than the contract allows (413).</summary>
    TooLarge,
}

/// <summary>A write's outcome: what was stored, or why nothing was.</summary>
public readonly record struct WriteResult<T>(T? Stored, WriteRefusal? Refusal)
    where T : class
{
    public static implicit operator WriteResult<T>(T stored) => new(stored, null);

    public static implicit operator WriteResult<T>(WriteRefusal refusal) => new(null, refusal);
}
