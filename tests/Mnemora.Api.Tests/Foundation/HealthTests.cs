using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Foundation;

public sealed class HealthTests(MnemoraApp system)
{
    [Fact]
    public async Task ReportsEveryStoreUpWhenTheSystemRuns()
    {
        using var api = system.CreateApiClient();

        var data = await Envelope.ReadDataAsync(await api.GetAsync("/v1/health", TestContext.Current.CancellationToken), HttpStatusCode.OK);

        Assert.Equal("healthy", data.GetProperty("status").GetString());
        foreach (var store in (string[])["postgres", "dynamodb", "s3"])
        {
            Assert.Equal("up", data.GetProperty("stores").GetProperty(store).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task UnknownRoutesAnswerInTheErrorEnvelope()
    {
        using var api = system.CreateApiClient();

        await Envelope.ReadErrorAsync(await api.GetAsync("/v1/no-such-route", TestContext.Current.CancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task PublishesTheOpenApiDocumentAndTheReferencePage()
    {
        using var api = system.CreateApiClient();
        var cancellationToken = TestContext.Current.CancellationToken;

        var document = await api.GetStringAsync("/openapi/v1.json", cancellationToken);
        Assert.Contains("\"/v1/health\"", document, StringComparison.Ordinal);

        var reference = await api.GetAsync("/scalar/", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal("text/html", reference.Content.Headers.ContentType?.MediaType);
    }
}
