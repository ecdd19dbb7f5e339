using System.Buffers;
using System.Text;
using Mnemora.Api.Http;
using Mnemora.Api.Transfer;

namespace Mnemora.Unit.Tests.Api;

/// <summary>Each line of an import is checked by the routes' rules, and a bad one names its line; the tenant in a line is never read.</summary>
public sealed class ImportParserTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static ImportLine Parse(string json, int number = 2) =>
        ImportParser.Parse(new NdjsonLine(number, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))), s_now);

    private static ApiException Refused(string json, int number = 2) => Assert.Throws<ApiException>(() => Parse(json, number));

    [Fact]
    public void TheHeaderOfThisFormatVersionIsAccepted() =>
        Assert.IsType<ImportHeaderLine>(Parse("""{"format":"mnemora-export","format_version":1}""", number: 1));

    [Fact]
    public void AnotherFormatVersionIsRefusedNamingTheLine()
    {
        var error = Refused("""{"format":"mnemora-export","format_version":99}""", number: 1);

        Assert.Equal(400, error.Status);
        Assert.StartsWith("Line 1 ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateLineBecomesAStateRecordAndItsTenantIsIgnored()
    {
        var line = Parse("""
            {"memory_type":"state","tenant_id":"someone-else","agent_id":"bot","session_id":"s1","data":{"step":1},"version":3,
             "created_at":"2026-11-30T10:00:00Z","updated_at":"2026-11-30T11:00:00Z","expires_at":null}
            """.ReplaceLineEndings(""));

        var state = Assert.IsType<StateImport>(line).Record;
        Assert.Equal("bot", state.AgentId);
        Assert.Equal("s1", state.SessionId);
        Assert.Equal(3, state.Version);
        Assert.DoesNotContain("someone-else", state.DataJson, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEpisodeFromTheFutureIsRefused()
    {
        var error = Refused($$"""{"memory_type":"episode","id":"{{Guid.NewGuid()}}","agent_id":"bot","session_id":"s1","type":"conversation","content":"hi","timestamp":"2026-12-02T12:00:00Z"}""");

        Assert.Equal(400, error.Status);
        Assert.Contains("future", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEpisodeOfAnUnknownTypeIsRefused() =>
        Assert.Equal(400, Refused($$"""{"memory_type":"episode","id":"{{Guid.NewGuid()}}","agent_id":"bot","session_id":"s1","type":"dream","content":"hi","timestamp":"2026-11-30T12:00:00Z"}""").Status);

    [Fact]
    public void AnIdentifierWithAHashIsRefused() =>
        Assert.Equal(400, Refused("""{"memory_type":"state","agent_id":"a#b","session_id":"s1","data":{},"version":1,"created_at":"2026-11-30T10:00:00Z","updated_at":"2026-11-30T10:00:00Z"}""").Status);

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"memory_type":42}""")]
    public void ALineThatIsNotARecordIsRefused(string json) =>
        Assert.Equal(400, Refused(json).Status);
}
