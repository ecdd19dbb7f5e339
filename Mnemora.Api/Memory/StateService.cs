using System.Text;
using System.Text.Json;
using Mnemora.Api.Contracts;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Memory;

/// <summary>Writes of working state, shared by <c>/v1/state</c> and the whole-agent <c>POST /v1/memory</c>; the request's members are validated already.</summary>
public sealed class StateService(StateStore store, TierCatalog tiers)
{
    public const string DefaultSession = "default";

    /// <summary>Creates or overwrites the session's state.</summary>
    public async Task<WriteResult<StateRecord>> CreateAsync(TenantContext tenant, CreateStateRequest request, CancellationToken cancellationToken)
    {
        if (ReadData(request.Data, out var data) is { } refusal)
        {
            return refusal;
        }

        return await store.UpsertAsync(tenant.TenantId, request.AgentId!, request.SessionId ?? DefaultSession, data, Ttl(request.TtlHours), tiers.For(tenant.Tier).Usage, cancellationToken);
    }

    /// <summary>Replaces the session's state if <see cref="UpdateStateRequest.Version"/> is still current.</summary>
    public async Task<WriteResult<StateUpdateResult>> UpdateAsync(TenantContext tenant, string agentId, UpdateStateRequest request, CancellationToken cancellationToken)
    {
        if (ReadData(request.Data, out var data) is { } refusal)
        {
            return refusal;
        }

        if (request.Version is not { } version || version < 1)
        {
            return WriteRefusal.Invalid("'version' (the version last read, at least 1) is required.");
        }

        return await store.UpdateAsync(tenant.TenantId, agentId, request.SessionId ?? DefaultSession, data, version, Ttl(request.TtlHours), tiers.For(tenant.Tier).Usage, cancellationToken);
    }

    private static WriteRefusal? ReadData(JsonElement? data, out string json)
    {
        json = "";
        if (data is not { ValueKind: JsonValueKind.Object } value)
        {
            return WriteRefusal.Invalid("'data' must be a JSON object.");
        }

        json = MemoryJson.Compact(value);
        return Encoding.UTF8.GetByteCount(json) > StateStore.MaxDataBytes ? WriteRefusal.TooLarge("'data'", StateStore.MaxDataBytes) : null;
    }

    private static TimeSpan? Ttl(int? hours) => hours is { } h ? TimeSpan.FromHours(h) : null;
}
