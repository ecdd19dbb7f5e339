using System.Net.Http.Headers;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class OperatorApiTests(MnemoraApp system)
{
    [Fact]
    public async Task ATenantKeyIsForbiddenOnTheOperatorApi()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);

        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/admin/v1/tenants", cancellationToken), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(
            await tenant.Client.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { }, cancellationToken),
            HttpStatusCode.Forbidden,
            "FORBIDDEN");
    }

    [Fact]
    public async Task TheOperatorKeyIsUnauthorizedOnTheTenantApi()
    {
        using var admin = system.CreateOperatorClient();

        await Envelope.ReadErrorAsync(await admin.GetAsync("/v1/usage", TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-operator-key")]
    [InlineData("op_")]
    public async Task TheOperatorApiNeedsTheOperatorKey(string? key)
    {
        using var api = system.CreateApiClient();
        if (key is not null)
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        await Envelope.ReadErrorAsync(await api.GetAsync("/admin/v1/tenants", TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task TheOperatorKeyWithOneCharacterMoreIsUnauthorized()
    {
        using var api = system.CreateApiClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", system.OperatorKey + "0");

        await Envelope.ReadErrorAsync(await api.GetAsync("/admin/v1/tenants", TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public Task CreatesListsGetsAndRenamesATenant() => UtcDay.RunAsync(CreatesListsGetsAndRenamesATenantOnceAsync);

    private async Task CreatesListsGetsAndRenamesATenantOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var admin = system.CreateOperatorClient();
        var id = $"acme-{Guid.NewGuid():N}";

        var created = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = id, name = "Acme" }, cancellationToken), HttpStatusCode.Created);
        Assert.Equal((id, "Acme", "free"), (created.GetProperty("tenant_id").GetString(), created.GetProperty("name").GetString(), created.GetProperty("tier").GetString()));

        var duplicate = await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = id, name = "Other", tier = "pro" }, cancellationToken);
        await Envelope.ReadErrorAsync(duplicate, HttpStatusCode.Conflict, "CONFLICT");

        var list = await Envelope.ReadDataAsync(await admin.GetAsync("/admin/v1/tenants", cancellationToken), HttpStatusCode.OK);
        var listed = list.GetProperty("tenants").EnumerateArray().Single(t => t.GetProperty("tenant_id").GetString() == id);
        Assert.Equal(("free", 0, 500), (listed.GetProperty("tier").GetString(), listed.GetProperty("api_calls_today").GetInt64(), listed.GetProperty("daily_limit").GetInt64()));

        var renamed = await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{id}", new { name = "Acme Corp", tier = "starter" }, cancellationToken), HttpStatusCode.OK);
        Assert.Equal(("Acme Corp", "starter"), (renamed.GetProperty("name").GetString(), renamed.GetProperty("tier").GetString()));

        var details = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{id}", cancellationToken), HttpStatusCode.OK);
        var usage = details.GetProperty("usage");
        Assert.Equal("Acme Corp", details.GetProperty("name").GetString());
        Assert.Equal(5_000, usage.GetProperty("daily_limit").GetInt64());
        Assert.Equal(TimeProvider.System.GetUtcNow().ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), usage.GetProperty("billing_period").GetString());
        foreach (var field in (string[])["api_calls_today", "api_calls_month", "embeddings_generated_month", "vectors_stored", "storage_bytes", "agents_count", "sessions_count"])
        {
            Assert.Equal(JsonValueKind.Number, usage.GetProperty(field).ValueKind);
        }

        foreach (var store in (string[])["dynamo_bytes", "s3_bytes", "postgres_bytes"])
        {
            Assert.Equal(JsonValueKind.Number, usage.GetProperty("storage").GetProperty(store).ValueKind);
        }
    }

    public static TheoryData<string> InvalidIds() =>
    [
        "",
        "a#b",
        "a/b",
        "a b",
        ".",
        "..",
        "tenant\u0000",
        "tenant\n",
        "ténant",
        "TENANT#x",
        "x%2Fy",
        new string('a', 257),
    ];

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task ATenantIdOutsideTheIdentifierRulesIsRefused(string id)
    {
        using var admin = system.CreateOperatorClient();

        var response = await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = id, name = "x" }, TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("a%23b")]
    [InlineData("a%20b")]
    [InlineData("a%3Cb%3E")]
    [InlineData("a%0Ab")]
    public async Task AnInvalidIdInARouteIsRefusedBeforeTheStore(string encodedId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var admin = system.CreateOperatorClient();

        await Envelope.ReadErrorAsync(await admin.GetAsync($"/admin/v1/tenants/{encodedId}", cancellationToken), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await admin.DeleteAsync($"/admin/v1/tenants/ok/keys/{encodedId}", cancellationToken), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("""{"tenant_id": "t-tier", "tier": "gold"}""")]
    [InlineData("""{"tenant_id": "t-tier", "tier": "FREE"}""")]
    [InlineData("""{"tenant_id": "t-name", "name": ""}""")]
    [InlineData("""{"tenant_id": "t-name", "name": "a\u0007b"}""")]
    [InlineData("""{"tenant_id": 42}""")]
    [InlineData("""not json""")]
    [InlineData("""{}""")]
    public async Task AnInvalidTenantBodyIsRefused(string body)
    {
        using var admin = system.CreateOperatorClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        await Envelope.ReadErrorAsync(await admin.PostAsync("/admin/v1/tenants", content, TestContext.Current.CancellationToken), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task UnknownTenantsAndKeysAreNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var admin = system.CreateOperatorClient();
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        var missing = $"missing-{Guid.NewGuid():N}";

        await Envelope.ReadErrorAsync(await admin.GetAsync($"/admin/v1/tenants/{missing}", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{missing}", new { tier = "pro" }, cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.DeleteAsync($"/admin/v1/tenants/{missing}", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{missing}/keys", new { }, cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.GetAsync($"/admin/v1/tenants/{missing}/keys", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/key_nope", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task AKeyCannotBeRevokedThroughAnotherTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var admin = system.CreateOperatorClient();
        using var a = await system.CreateTenantAsync("free", cancellationToken);
        using var b = await system.CreateTenantAsync("free", cancellationToken);
        var keysOfA = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/keys", cancellationToken), HttpStatusCode.OK);
        var keyOfA = keysOfA.GetProperty("keys")[0].GetProperty("key_id").GetString();

        await Envelope.ReadErrorAsync(await admin.DeleteAsync($"/admin/v1/tenants/{b.TenantId}/keys/{keyOfA}", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
    }
}
