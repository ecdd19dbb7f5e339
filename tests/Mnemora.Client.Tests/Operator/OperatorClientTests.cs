using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Operator;

public sealed class OperatorClientTests(MnemoraApp system)
{
    private MnemoraOperatorClient Operator => system.Operator;

    [Fact]
    public async Task AnOperatorCreatesReadsListsUpdatesAndDeletesATenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenantId = $"op-{Guid.NewGuid():N}";

        var created = await Operator.CreateTenantAsync(tenantId, "Acme Corp", TenantTier.Starter, cancellationToken);
        Assert.Equal(tenantId, created.TenantId);
        Assert.Equal("Acme Corp", created.Name);
        Assert.Equal(TenantTier.Starter, created.Tier);
        Assert.Null(created.DeletedAt);
        Assert.Equal(TimeSpan.Zero, created.CreatedAt.Offset);

        var details = await Operator.GetTenantAsync(tenantId, cancellationToken);
        Assert.Equal(TenantTier.Starter, details.Usage.Tier);
        Assert.Equal(5_000, details.Usage.DailyLimit);
        Assert.Equal(0, details.Usage.ApiCallsToday);

        var listed = Assert.Single(await Operator.ListTenantsAsync(cancellationToken), t => t.TenantId == tenantId);
        Assert.Equal(5_000, listed.DailyLimit);

        var updated = await Operator.UpdateTenantAsync(tenantId, name: "Acme Inc", tier: TenantTier.Pro, cancellationToken: cancellationToken);
        Assert.Equal("Acme Inc", updated.Name);
        Assert.Equal(TenantTier.Pro, updated.Tier);

        var key = await Operator.IssueKeyAsync(tenantId, "support bot", cancellationToken);
        var usage = await system.Clients.CreateClient(key.ApiKey).GetUsageAsync(cancellationToken);
        Assert.Equal(TenantTier.Pro, usage.Tier);

        var deletion = await Operator.DeleteTenantAsync(tenantId, cancellationToken);
        Assert.Equal(tenantId, deletion.TenantId);
        Assert.Equal(1, deletion.KeysRevoked);
        Assert.NotNull(deletion.Deleted);
        await KeyStopsWorkingAsync(key.ApiKey, cancellationToken);
    }

    [Fact]
    public async Task AnIssuedKeyIsListedByPrefixAndStopsWorkingOnceRevoked()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var second = await Operator.IssueKeyAsync(tenant.TenantId, "second", cancellationToken);
        Assert.StartsWith("mnm_", second.ApiKey, StringComparison.Ordinal);
        Assert.StartsWith(second.Prefix, second.ApiKey, StringComparison.Ordinal);

        var keys = await Operator.ListKeysAsync(tenant.TenantId, cancellationToken);
        Assert.Equal(2, keys.Count);
        var listed = Assert.Single(keys, k => k.KeyId == second.KeyId);
        Assert.Equal("second", listed.Name);
        Assert.Null(listed.RevokedAt);
        await system.Clients.CreateClient(second.ApiKey).GetUsageAsync(cancellationToken);

        await Operator.RevokeKeyAsync(tenant.TenantId, second.KeyId, cancellationToken);

        await KeyStopsWorkingAsync(second.ApiKey, cancellationToken);

        Assert.NotNull(Assert.Single(await Operator.ListKeysAsync(tenant.TenantId, cancellationToken), k => k.KeyId == second.KeyId).RevokedAt);
        await tenant.Client.GetUsageAsync(cancellationToken);
    }

    [Fact]
    public async Task CreatingATenantThatExistsIsAConflict()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => Operator.CreateTenantAsync(tenant.TenantId, cancellationToken: cancellationToken));

        Assert.Equal(MnemoraErrorCodes.Conflict, conflict.Code);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.False(string.IsNullOrWhiteSpace(conflict.RequestId));
        Assert.False(string.IsNullOrWhiteSpace(conflict.Message));
    }

    [Fact]
    public async Task AnUnknownTenantIsNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var missing = $"missing-{Guid.NewGuid():N}";

        await Assert.ThrowsAsync<NotFoundException>(() => Operator.GetTenantAsync(missing, cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.UpdateTenantAsync(missing, name: "x", cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.IssueKeyAsync(missing, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.ListKeysAsync(missing, cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.RevokeKeyAsync(missing, "no-such-key", cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => Operator.DeleteTenantAsync(missing, cancellationToken));
    }

    [Theory]
    [InlineData("bad/id")]
    [InlineData("has space")]
    [InlineData("..")]
    public async Task AnInvalidTenantIdIsAValidationError(string tenantId)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => Operator.CreateTenantAsync(tenantId, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(MnemoraErrorCodes.Validation, error.Code);
        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
    }

    [Fact]
    public async Task AnUpdateWithNothingToChangeIsAValidationError()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);

        await Assert.ThrowsAsync<ValidationException>(() => Operator.UpdateTenantAsync(tenant.TenantId, cancellationToken: cancellationToken));
    }

    [Fact]
    public async Task ATenantKeyOnTheOperatorApiIsPermissionDenied()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var withTenantKey = new MnemoraOperatorClient(system.Services.GetHttpClient("Mnemora.Operator"), tenant.ApiKey);

        var denied = await Assert.ThrowsAsync<PermissionDeniedException>(() => withTenantKey.ListTenantsAsync(cancellationToken));

        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Equal(MnemoraErrorCodes.Forbidden, denied.Code);
    }

    /// <summary>The contract allows a revoked key up to 5 seconds on every replica; waits 10 at most.</summary>
    private async Task KeyStopsWorkingAsync(string apiKey, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var client = system.Clients.CreateClient(apiKey);
        while (true)
        {
            try
            {
                await client.GetUsageAsync(deadline.Token);
                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
            catch (AuthenticationException exception)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, exception.Status);
                return;
            }
        }
    }
}
