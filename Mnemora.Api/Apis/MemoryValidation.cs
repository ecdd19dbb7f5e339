using Mnemora.Api.Http;
using Mnemora.Api.Memory;

namespace Mnemora.Api.Apis;

/// <summary>A write the memory services refused, as the error envelope.</summary>
internal static class MemoryValidation
{
    public static ApiProblem ToProblem(this WriteRefusal refusal) => refusal.Reason switch
    {
        WriteRefusalReason.TooLarge => new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, refusal.Message),
        _ => ApiProblem.Validation(refusal.Message),
    };
}
