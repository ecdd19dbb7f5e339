using System.Text.Json;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;

namespace Mnemora.Unit.Tests.Api;

/// <summary>The rules declared on the request records refuse what the contract refuses, with the wire name of the member.</summary>
public sealed class RequestValidationTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void AWellFormedSemanticStorePasses() =>
        Assert.Null(RequestValidation.Check(new StoreSemanticRequest("agent-1", "The customer prefers email.", null, Json("""{"source":"chat"}"""))));

    [Fact]
    public void AMissingAgentIdIsAValidationErrorNamingTheWireField()
    {
        var problem = RequestValidation.Check(new StoreSemanticRequest(null, "text", null, null));

        Assert.NotNull(problem);
        Assert.Equal(400, problem.StatusCode);
        Assert.Equal(ErrorCodes.Validation, problem.Code);
        Assert.Contains("agent_id", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIdWithAHashIsRefused()
    {
        var problem = RequestValidation.Check(new StoreSemanticRequest("tenant#agent", "text", null, null));

        Assert.NotNull(problem);
        Assert.Equal(400, problem.StatusCode);
    }

    [Fact]
    public void ContentOverTheLimitIsTooLarge()
    {
        var problem = RequestValidation.Check(new StoreSemanticRequest("agent-1", new string('x', RequestLimits.MaxContentCharacters + 1), null, null));

        Assert.NotNull(problem);
        Assert.Equal(413, problem.StatusCode);
    }

    [Fact]
    public void MetadataThatIsNotAnObjectIsRefused()
    {
        var problem = RequestValidation.Check(new StoreSemanticRequest("agent-1", "text", null, Json("[1,2]")));

        Assert.NotNull(problem);
        Assert.Equal(400, problem.StatusCode);
        Assert.Contains("metadata", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionalSessionMayBeLeftOutButNotEmpty()
    {
        Assert.Null(RequestValidation.Check(new CreateStateRequest("agent-1", Json("{}"), null, null)));
        Assert.NotNull(RequestValidation.Check(new CreateStateRequest("agent-1", Json("{}"), "", null)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(RequestLimits.MaxTtlHours + 1)]
    public void ATtlOutsideItsRangeIsRefused(int hours) =>
        Assert.Equal(400, RequestValidation.Check(new CreateStateRequest("agent-1", Json("{}"), null, hours))?.StatusCode);
}
