using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>Route parameters carry the contract's names (<c>{agent_id}</c>, not <c>{agentId}</c>), so one identifier check covers every route.</summary>
public sealed partial class RouteNamingTests(MnemoraApp system)
{
    [Fact]
    public async Task EveryPathParameterInTheOpenApiDocumentIsSnakeCase()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = system.CreateApiClient();
        var document = JsonNode.Parse(await api.GetStringAsync("/openapi/v1.json", ct))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();

        var parameters = paths.SelectMany(path => Parameter().Matches(path).Select(m => (Path: path, Name: m.Groups[1].Value))).ToList();
        Assert.Contains(parameters, p => p.Name == "agent_id" && p.Path.StartsWith("/v1/state/", StringComparison.Ordinal));
        Assert.Contains(parameters, p => p.Name == "session_id" && p.Path.StartsWith("/v1/memory/episodic/", StringComparison.Ordinal));
        Assert.All(parameters, p => Assert.True(SnakeCase().IsMatch(p.Name), $"{p.Path} names a parameter '{p.Name}'."));
    }

    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex Parameter();

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex SnakeCase();
}
