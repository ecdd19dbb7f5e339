using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Mnemora.Api.Embeddings;
using Mnemora.Api.Tenancy;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Transfer;

/// <summary>
/// Imports an export into the caller's tenant. The body is buffered in a temporary file and read three
/// times: (1) every line is validated, with the file's end line and duplicates, and the tenant's storage and
/// embeddings are reserved for it, before anything is written: a bad line is a 400 naming it and nothing is stored; (2) semantic
/// memories are written in one PostgreSQL transaction (all or none; the vector cap is checked before it
/// commits); (3) state and episodes go to DynamoDB. Every write is an idempotent upsert by id, so a
/// store failing during (3) (a 503) is repaired by sending the same file again, never by duplicates.
/// A tenant imports one file at a time: a second import of the same tenant is a 429 before its body is spooled
/// (on this replica; across replicas PostgreSQL's import lock refuses it before anything is written).
/// </summary>
internal sealed class MemoryImporter(
    StateStore states,
    EpisodeStore episodes,
    SemanticMemoryRepository semantic,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IUsageMeter usage,
    TierCatalog tiers,
    TimeProvider time,
    IOptions<TransferOptions> options)
{
    private const int EmbeddingBatch = 64;
    private const int EpisodeBatch = 200;

    private readonly TenantShare _oneAtATime = new("imports", perTenant: 1, wait: TimeSpan.Zero);

    public async Task<ImportResponse> ImportAsync(TenantContext tenant, Stream body, CancellationToken cancellationToken)
    {
        using var place = await _oneAtATime.EnterAsync(tenant.TenantId, cancellationToken);
        var settings = options.Value;
        var directory = settings.TempDirectory ?? Path.GetTempPath();
        await using var buffer = new FileStream(
            Path.Combine(directory, $"mnemora-import-{Guid.NewGuid():N}.ndjson"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await body.CopyToAsync(buffer, cancellationToken);

        var plan = await ValidateAsync(buffer, cancellationToken);
        var limits = tiers.For(tenant.Tier);
        if (plan.Semantic > limits.Vectors)
        {
            throw new StorageLimitException(StorageLimit.Vectors,
                $"The file holds {plan.Semantic} semantic memories; the tenant's plan holds at most {limits.Vectors} vectors. Nothing was imported.");
        }

        // The whole import's upper estimate is reserved at once (atomic, so concurrent writers cannot pass the
        // limit together) and given back at the end, when the stores have counted what they really added.
        var reservation = new UsageDelta(EmbeddingsGenerated: plan.ToEmbed, DynamoBytes: plan.Bytes);
        await usage.ReserveAsync(tenant.TenantId, reservation, limits.Usage, cancellationToken);
        try
        {
            return await ImportReservedAsync(tenant, buffer, plan, limits, cancellationToken);
        }
        finally
        {
            await usage.RecordAsync(tenant.TenantId, reservation.Negated(), CancellationToken.None);
        }
    }

    private async Task<ImportResponse> ImportReservedAsync(TenantContext tenant, FileStream buffer, ImportPlan plan, TierLimits limits, CancellationToken cancellationToken)
    {
        var embedded = new StrongBox<long>();
        var semanticResult = plan.Semantic == 0
            ? new SemanticImportResult(0, 0, 0)
            : await semantic.ImportAsync(tenant.TenantId, SemanticBatchesAsync(tenant.TenantId, buffer, embedded, cancellationToken),
                new SemanticLimits(limits.Vectors), cancellationToken);
        if (plan.Semantic > 0)
        {
            await usage.RecordAsync(tenant.TenantId, new UsageDelta(
                Vectors: semanticResult.VectorsAdded, EmbeddingsGenerated: embedded.Value, PostgresBytes: semanticResult.BytesAdded), cancellationToken);
            foreach (var agentId in plan.SemanticAgents)
            {
                await usage.TrackAgentAsync(tenant.TenantId, agentId, sessionId: null, cancellationToken);
            }
        }

        var written = await WriteDynamoAsync(tenant.TenantId, buffer, cancellationToken);
        return new ImportResponse(
            plan.Records,
            new ImportedCounts(written.State, written.Episodes, semanticResult.Rows),
            new SkippedCounts(written.ExpiredState, plan.Episodes - written.Episodes),
            embedded.Value);
    }

    /// <summary>Pass 1: every line parses and validates, the header comes first, the end line last with matching counts, no record twice.</summary>
    private async Task<ImportPlan> ValidateAsync(FileStream buffer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var plan = new ImportPlan();
        var header = false;
        ImportEndLine? end = null;
        var lastLine = 0;
        var states = new HashSet<(string, string)>();
        var episodeIds = new HashSet<(string, Guid)>();
        var semanticIds = new HashSet<Guid>();
        await foreach (var line in ReadLinesAsync(buffer, cancellationToken))
        {
            lastLine = line.Number;
            var parsed = ImportParser.Parse(line, now);
            if (!header)
            {
                header = parsed is ImportHeaderLine
                    ? true
                    : throw ImportParser.Invalid(line.Number, "should be the export's header line ({\"format\":\"mnemora-export\",\"format_version\":1,...}).");
                continue;
            }

            if (end is not null)
            {
                throw ImportParser.Invalid(line.Number, "follows the end line.");
            }

            switch (parsed)
            {
                case ImportHeaderLine:
                    throw ImportParser.Invalid(line.Number, "is a second header line.");
                case ImportEndLine endLine:
                    end = endLine;
                    break;
                case StateImport { Record: var record }:
                    Require(states.Add((record.AgentId, record.SessionId)), line.Number, "repeats the state of an agent and session.");
                    plan.State++;
                    plan.Bytes += Encoding.UTF8.GetByteCount(record.DataJson) + record.AgentId.Length + record.SessionId.Length + 200;
                    break;
                case EpisodeImport { AgentId: var agentId, Episode: var episode }:
                    Require(episodeIds.Add((agentId, Guid.Parse(episode.Id))), line.Number, "repeats an episode id of the agent.");
                    plan.Episodes++;
                    plan.Bytes += Encoding.UTF8.GetByteCount(episode.ContentJson) + Encoding.UTF8.GetByteCount(episode.MetadataJson) + (2 * agentId.Length) + (2 * episode.SessionId.Length) + 400;
                    break;
                case SemanticImport memory:
                    Require(semanticIds.Add(memory.Id), line.Number, "repeats a semantic memory id.");
                    plan.Semantic++;
                    plan.Bytes += SemanticMemoryRepository.StoredBytes(memory.Content, memory.MetadataJson);
                    plan.SemanticAgents.Add(memory.AgentId);
                    plan.ToEmbed += memory.Embedding is null ? 1 : 0;
                    break;
            }
        }

        if (!header)
        {
            throw ImportParser.Invalid(1, "is missing: the body is empty; send an export (application/x-ndjson).");
        }

        if (end is null)
        {
            throw ImportParser.Invalid(lastLine + 1, "should be the end line ({\"end\":true,...}); the file is truncated.");
        }

        if (end.Records != plan.Records || end.State != plan.State || end.Episodes != plan.Episodes || end.Semantic != plan.Semantic)
        {
            throw ImportParser.Invalid(lastLine, $"(the end line) counts {end.State} state, {end.Episodes} episode and {end.Semantic} semantic records; the file holds {plan.State}, {plan.Episodes} and {plan.Semantic}.");
        }

        return plan;
    }

    /// <summary>Pass 2: the semantic records in batches, embedding the content of those exported without an embedding.</summary>
    private async IAsyncEnumerable<IReadOnlyList<SemanticImportRow>> SemanticBatchesAsync(
        string tenantId, FileStream buffer, StrongBox<long> embedded, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var pending = new List<SemanticImport>(EmbeddingBatch);
        await foreach (var line in ReadLinesAsync(buffer, cancellationToken))
        {
            if (ImportParser.Parse(line, now) is SemanticImport memory)
            {
                pending.Add(memory);
                if (pending.Count == EmbeddingBatch)
                {
                    yield return await ToRowsAsync(tenantId, pending, embedded, cancellationToken);
                    pending.Clear();
                }
            }
        }

        if (pending.Count > 0)
        {
            yield return await ToRowsAsync(tenantId, pending, embedded, cancellationToken);
        }
    }

    private async Task<IReadOnlyList<SemanticImportRow>> ToRowsAsync(string tenantId, List<SemanticImport> memories, StrongBox<long> embedded, CancellationToken cancellationToken)
    {
        var missing = memories.Where(m => m.Embedding is null).ToList();
        var vectors = new Dictionary<Guid, float[]>();
        if (missing.Count > 0)
        {
            var generated = await embeddings.GenerateAsync(missing.Select(m => m.Content), EmbeddingWork.For(tenantId, EmbeddingLane.Bulk), cancellationToken);
            for (var i = 0; i < missing.Count; i++)
            {
                vectors[missing[i].Id] = generated[i].Vector.ToArray();
            }

            embedded.Value += missing.Count;
        }

        return [.. memories.Select(m => new SemanticImportRow(
            m.Id, m.AgentId, m.Namespace, m.Content, m.MetadataJson, m.CreatedAt, m.UpdatedAt, m.Embedding ?? vectors[m.Id]))];
    }

    /// <summary>Pass 3: state records (expired ones are absent by the contract, so skipped) and episodes, a batch per agent at a time.</summary>
    private async Task<DynamoWrites> WriteDynamoAsync(string tenantId, FileStream buffer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var nowText = ExportFormat.Time(now);
        var result = new DynamoWrites();
        var batch = new List<EpisodeRecord>(EpisodeBatch);
        string? batchAgent = null;
        await foreach (var line in ReadLinesAsync(buffer, cancellationToken))
        {
            switch (ImportParser.Parse(line, now))
            {
                case StateImport { Record: var record }:
                    if (record.ExpiresAt is { } expiresAt && string.CompareOrdinal(expiresAt, nowText) <= 0)
                    {
                        result.ExpiredState++;
                        break;
                    }

                    await states.ImportAsync(tenantId, record, cancellationToken);
                    result.State++;
                    break;
                case EpisodeImport { AgentId: var agentId, Episode: var episode }:
                    if (batchAgent != agentId || batch.Count == EpisodeBatch)
                    {
                        result.Episodes += await FlushAsync();
                        batchAgent = agentId;
                    }

                    batch.Add(episode);
                    break;
            }
        }

        result.Episodes += await FlushAsync();
        return result;

        async Task<int> FlushAsync()
        {
            if (batch.Count == 0)
            {
                return 0;
            }

            var added = await episodes.ImportAsync(tenantId, batchAgent!, batch, cancellationToken);
            batch.Clear();
            return added;
        }
    }

    private IAsyncEnumerable<NdjsonLine> ReadLinesAsync(FileStream buffer, CancellationToken cancellationToken)
    {
        buffer.Position = 0;
        return SkipBlank(NdjsonLines.ReadAsync(buffer, options.Value.MaxLineBytes, cancellationToken), cancellationToken);
    }

    private static async IAsyncEnumerable<NdjsonLine> SkipBlank(IAsyncEnumerable<NdjsonLine> lines, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in lines.WithCancellation(cancellationToken))
        {
            if (!line.IsBlank)
            {
                yield return line;
            }
        }
    }

    private static void Require(bool condition, int line, string message)
    {
        if (!condition)
        {
            throw ImportParser.Invalid(line, message);
        }
    }

    private sealed class ImportPlan
    {
        public long State { get; set; }

        public long Episodes { get; set; }

        public long Semantic { get; set; }

        /// <summary>Semantic records exported without an embedding: each costs one.</summary>
        public long ToEmbed { get; set; }

        public long Records => State + Episodes + Semantic;

        public long Bytes { get; set; }

        public HashSet<string> SemanticAgents { get; } = new(StringComparer.Ordinal);
    }

    private sealed class DynamoWrites
    {
        public long State { get; set; }

        public long ExpiredState { get; set; }

        public long Episodes { get; set; }
    }
}

/// <summary>What an import stored. Records the file holds that were already stored (episodes are immutable) or expired (state) are counted as skipped.</summary>
public sealed record ImportResponse(long Records, ImportedCounts Imported, SkippedCounts Skipped, long EmbeddingsGenerated);

public sealed record ImportedCounts(long State, long Episode, long Semantic);

public sealed record SkippedCounts(long ExpiredState, long ExistingEpisode);
