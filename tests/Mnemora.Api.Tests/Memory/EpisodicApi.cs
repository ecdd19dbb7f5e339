using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Memory;

/// <summary>Writes and lists episodes through <c>/v1/memory/episodic</c>, for the tests that need episodes to work on.</summary>
internal static class EpisodicApi
{
    internal static async Task<List<JsonElement>> WriteAsync(HttpClient api, string agent, int count, Func<int, string> session, CancellationToken ct)
    {
        var written = new List<JsonElement>();
        for (var i = 0; i < count; i++)
        {
            object content = i % 2 == 0 ? $"said {i}" : new { step = i, tool = "search" };
            var response = await api.PostAsJsonAsync("/v1/memory/episodic", new
            {
                agent_id = agent,
                session_id = session(i),
                type = new[] { "conversation", "action", "observation", "tool_call" }[i % 4],
                content,
                metadata = new { i },
            }, ct);
            written.Add(await Envelope.ReadDataAsync(response, HttpStatusCode.Created));
        }

        return written;
    }

    internal static async Task<(List<JsonElement> Episodes, string? Next)> ListAsync(HttpClient api, string path, CancellationToken ct)
    {
        var data = await Envelope.ReadDataAsync(await api.GetAsync(path, ct), HttpStatusCode.OK);
        var next = data.GetProperty("next_cursor");
        return ([.. data.GetProperty("episodes").EnumerateArray()], next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    internal static List<string> Ids(IEnumerable<JsonElement> episodes) => [.. episodes.Select(e => e.GetProperty("id").GetString()!)];
}
