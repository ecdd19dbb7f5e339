using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>Semantic memory routes, as a tenant's client calls them; asserts the envelopes on the way.</summary>
internal static class SemanticClient
{
    public static async Task<JsonElement> StoreAsync(this TestTenant tenant, object body, HttpStatusCode expected = HttpStatusCode.Created) =>
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", body, TestContext.Current.CancellationToken), expected);

    public static async Task<JsonElement[]> SearchAsync(this TestTenant tenant, object body)
    {
        var data = await Envelope.ReadDataAsync(
            await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search", body, TestContext.Current.CancellationToken), HttpStatusCode.OK);
        return [.. data.GetProperty("results").EnumerateArray()];
    }

    public static Task<HttpResponseMessage> GetMemoryAsync(this TestTenant tenant, string id) =>
        tenant.Client.GetAsync($"/v1/memory/semantic/{id}", TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> DeleteMemoryAsync(this TestTenant tenant, string id) =>
        tenant.Client.DeleteAsync($"/v1/memory/semantic/{id}", TestContext.Current.CancellationToken);

    public static string Id(this JsonElement memory) => memory.GetProperty("id").GetString()!;

    public static string Content(this JsonElement memory) => memory.GetProperty("content").GetString()!;
}
