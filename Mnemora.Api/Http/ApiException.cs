namespace Mnemora.Api.Http;

/// <summary>
/// A failure deep in a request that the contract names (a limit, a conflict): thrown where it is
/// found, turned into the error envelope once, by <see cref="ApiExceptionHandler"/>.
/// </summary>
public sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
