using System.Text;
using System.Text.Json;
using Mnemora.Api.Contracts;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Memory;

/// <summary>Appends episodes, shared by <c>/v1/memory/episodic</c> and the whole-agent <c>POST /v1/memory</c>; the ids are validated already.</summary>
public sealed class EpisodeService(EpisodeStore store, TierCatalog tiers)
{
    public async Task<WriteResult<EpisodeRecord>> AppendAsync(TenantContext tenant, CreateEpisodeRequest request, CancellationToken cancellationToken)
    {
        if (!EpisodeTypes.IsValid(request.Type))
        {
            return WriteRefusal.Invalid($"'type' must be one of {string.Join(", ", EpisodeTypes.All)}.");
        }

        if (request.Content is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } content)
        {
            return WriteRefusal.Invalid("'content' is required (a string or any JSON value).");
        }

        if (request.Metadata is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            return WriteRefusal.Invalid("'metadata' must be a JSON object.");
        }

        var contentJson = MemoryJson.Compact(content);
        var metadataJson = request.Metadata is { ValueKind: JsonValueKind.Object } metadata ? MemoryJson.Compact(metadata) : "{}";
        if (Encoding.UTF8.GetByteCount(contentJson) + Encoding.UTF8.GetByteCount(metadataJson) > EpisodeStore.MaxEpisodeBytes)
        {
            return WriteRefusal.TooLarge("An episode's content and metadata", EpisodeStore.MaxEpisodeBytes);
        }

        return await store.AppendAsync(tenant.TenantId, request.AgentId!, request.SessionId!, request.Type!, contentJson, metadataJson, tiers.For(tenant.Tier).Usage, cancellationToken);
    }
}
