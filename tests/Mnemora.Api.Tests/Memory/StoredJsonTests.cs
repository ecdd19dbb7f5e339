using System.Text.Encodings.Web;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Memory;

/// <summary>State data goes out as stored, not re-serialised per read, yet byte for byte what re-serialising wrote.</summary>
public sealed class StoredJsonTests(MnemoraApp system)
{
    // The API's response options: the web defaults with ASP.NET Core's relaxed escaping.
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions s_stored = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Theory]
    [InlineData("""{"goal":"book a flight","step":3,"slots":{"from":"BER","to":"LIS"},"ok":true,"none":null,"n":1.50e3,"list":[1,[2,{"a":[]}],{}]}""")]
    [InlineData("""{"quote":"she said \"hi\"","path":"C:\\temp","tab":"a\tb"}""")]
    [InlineData("""{"city":"Zürich","emoji":"🙂","cjk":"記憶","escaped":"\u00e9"}""")]
    [InlineData("""{"html":"<b>&amp;</b>","apostrophe":"it's","plus":"a+b","tick":"`"}""")]
    public async Task StateDataIsWrittenAsReserialisingItWould(string data)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        using var body = new StringContent($$"""{"agent_id":"raw","data":{{data}}}""", System.Text.Encoding.UTF8, "application/json");
        (await tenant.Client.PostAsync("/v1/state", body, ct)).EnsureSuccessStatusCode();

        using var response = await tenant.Client.GetAsync("/v1/state/raw", ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        // What the API wrote when it parsed the stored text and serialised the element again.
        using var document = JsonDocument.Parse(data);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_stored))
        {
            document.RootElement.WriteTo(writer);
        }

        using var stored = JsonDocument.Parse(buffer.WrittenMemory);
        var expected = "\"data\":" + JsonSerializer.Serialize(stored.RootElement, s_web) + ",";
        Assert.Contains(expected, text, StringComparison.Ordinal);
    }
}
