namespace Mnemora.Dashboard.Operator;

/// <summary>Why an operator call failed, in words a page can show as they are.</summary>
/// <param name="Code">The contract's error code (<c>NOT_FOUND</c>, <c>CONFLICT</c>, …) or <c>UNREACHABLE</c> when no answer came.</param>
/// <param name="Message">A readable sentence.</param>
/// <param name="Status">The HTTP status, when the API answered.</param>
public sealed record OperatorError(string Code, string Message, int? Status = null)
{
    public const string Unreachable = "UNREACHABLE";
}

/// <summary>The outcome of an operator call: a value, or an error to show on the page.</summary>
public sealed class OperatorResult<T>
{
    private OperatorResult(T? value, OperatorError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public OperatorError? Error { get; }

    public bool Succeeded => Error is null;

    public static OperatorResult<T> Success(T value) => new(value, null);

    public static OperatorResult<T> Failure(OperatorError error) => new(default, error);
}
