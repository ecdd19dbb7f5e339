using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Memory;

/// <summary>Working memory through <c>/v1/state</c>: the contract's shapes, versions, limits and validation.</summary>
public sealed class StateApiTests(MnemoraApp system)
{
    [Fact]
    public async Task StateIsCreatedReadUpdatedListedAndDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        var api = tenant.Client;

        var created = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", data = new { step = 1, notes = "naïve ✓" } }, ct), HttpStatusCode.Created);
        Assert.Equal("agent-1", created.GetProperty("agent_id").GetString());
        Assert.Equal("default", created.GetProperty("session_id").GetString());
        Assert.Equal(1, created.GetProperty("version").GetInt64());
        Assert.Equal("naïve ✓", created.GetProperty("data").GetProperty("notes").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("expires_at").ValueKind);
        Assert.EndsWith("Z", created.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Z", created.GetProperty("updated_at").GetString(), StringComparison.Ordinal);

        var overwritten = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", data = new { step = 2 }, ttl_hours = 1 }, ct), HttpStatusCode.Created);
        Assert.Equal(2, overwritten.GetProperty("version").GetInt64());
        var expiresAt = DateTimeOffset.Parse(overwritten.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));

        var read = await Envelope.ReadDataAsync(await api.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.OK);
        Assert.Equal(2, read.GetProperty("data").GetProperty("step").GetInt32());

        var updated = await Envelope.ReadDataAsync(await api.PutAsJsonAsync("/v1/state/agent-1", new { data = new { step = 3 }, version = 2 }, ct), HttpStatusCode.OK);
        Assert.Equal(3, updated.GetProperty("version").GetInt64());
        Assert.Equal(created.GetProperty("created_at").GetString(), updated.GetProperty("created_at").GetString());

        await Envelope.ReadErrorAsync(await api.PutAsJsonAsync("/v1/state/agent-1", new { data = new { step = 4 }, version = 2 }, ct), HttpStatusCode.Conflict, "CONFLICT");
        await Envelope.ReadErrorAsync(await api.PutAsJsonAsync("/v1/state/agent-1", new { data = new { }, version = 1, session_id = "nope" }, ct), HttpStatusCode.NotFound, "NOT_FOUND");

        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", session_id = "s-2", data = new { } }, ct), HttpStatusCode.Created);
        var sessions = await Envelope.ReadDataAsync(await api.GetAsync("/v1/state/agent-1/sessions", ct), HttpStatusCode.OK);
        Assert.Equal(["default", "s-2"], sessions.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()));

        var deleted = await api.DeleteAsync("/v1/state/agent-1/default", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await Envelope.ReadErrorAsync(await api.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await api.DeleteAsync("/v1/state/agent-1/default", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        var s2 = await Envelope.ReadDataAsync(await api.GetAsync("/v1/state/agent-1?session_id=s-2", ct), HttpStatusCode.OK);
        Assert.Equal("s-2", s2.GetProperty("session_id").GetString());
    }

    [Fact]
    public async Task OfTwoConcurrentWritersOfTheSameVersionExactlyOneWins()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", data = new { writer = "none" } }, ct), HttpStatusCode.Created);

        for (var version = 1; version <= 5; version++)
        {
            var writers = await Task.WhenAll(
                tenant.Client.PutAsJsonAsync("/v1/state/agent-1", new { data = new { writer = "a" }, version }, ct),
                tenant.Client.PutAsJsonAsync("/v1/state/agent-1", new { data = new { writer = "b" }, version }, ct));

            var statuses = writers.Select(w => w.StatusCode).Order().ToArray();
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], statuses);
            var winner = await Envelope.ReadDataAsync(writers.Single(w => w.StatusCode == HttpStatusCode.OK), HttpStatusCode.OK);
            var stored = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.OK);
            Assert.Equal(version + 1, stored.GetProperty("version").GetInt64());
            Assert.Equal(winner.GetProperty("data").GetProperty("writer").GetString(), stored.GetProperty("data").GetProperty("writer").GetString());
        }
    }

    [Fact]
    public async Task DataOver400KilobytesIsRefusedWith413AndNothingIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);

        // {"blob":"…"} is 11 bytes plus the string.
        var fits = await tenant.Client.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", data = new { blob = new string('x', 400_000 - 11) } }, ct);
        await Envelope.ReadDataAsync(fits, HttpStatusCode.Created);

        var tooLarge = await tenant.Client.PostAsJsonAsync("/v1/state", new { agent_id = "agent-1", session_id = "big", data = new { blob = new string('x', 400_000 - 10) } }, ct);
        await Envelope.ReadErrorAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/v1/state/agent-1?session_id=big", ct), HttpStatusCode.NotFound, "NOT_FOUND");

        var updateTooLarge = await tenant.Client.PutAsJsonAsync("/v1/state/agent-1", new { version = 1, data = new { blob = new string('é', 200_001) } }, ct);
        await Envelope.ReadErrorAsync(updateTooLarge, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        var stored = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/state/agent-1", ct), HttpStatusCode.OK);
        Assert.Equal(1, stored.GetProperty("version").GetInt64());
    }

    [Theory]
    [InlineData("""{"agent_id":"a#b","data":{}}""")]
    [InlineData("""{"agent_id":"a\u0085b","data":{}}""")]
    [InlineData("""{"agent_id":"..","data":{}}""")]
    [InlineData("""{"agent_id":"","data":{}}""")]
    [InlineData("""{"agent_id":"a\ud800b","data":{}}""")]
    [InlineData("""{"agent_id":"agent","session_id":"x#STATE","data":{}}""")]
    [InlineData("""{"agent_id":"agent","session_id":"s\u0000","data":{}}""")]
    [InlineData("""{"agent_id":"agent","data":[1,2]}""")]
    [InlineData("""{"agent_id":"agent","data":"text"}""")]
    [InlineData("""{"agent_id":"agent"}""")]
    [InlineData("""{"agent_id":"agent","data":{},"ttl_hours":0}""")]
    [InlineData("""{"agent_id":"agent","data":{},"ttl_hours":8761}""")]
    public async Task InvalidStateWritesAre400(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await Envelope.ReadErrorAsync(await tenant.Client.PostAsync("/v1/state", content, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("/v1/state/a%23b")]
    [InlineData("/v1/state/a%0Ab")]
    [InlineData("/v1/state/a%C2%85b")]
    [InlineData("/v1/state/agent?session_id=s%23x")]
    [InlineData("/v1/state/agent?session_id=..")]
    [InlineData("/v1/state/agent?session_id=a%7F")]
    [InlineData("/v1/state/a%23b/sessions")]
    public async Task InvalidIdsInTheRouteOrQueryAre400(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync(path, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        if (!path.Contains("/sessions", StringComparison.Ordinal))
        {
            await Envelope.ReadErrorAsync(await tenant.Client.PutAsJsonAsync(path, new { data = new { }, version = 1 }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
    }

    [Fact]
    public async Task APutWithoutAVersionIs400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        await Envelope.ReadErrorAsync(await tenant.Client.PutAsJsonAsync("/v1/state/agent-1", new { data = new { } }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
