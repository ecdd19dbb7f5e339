using System.ComponentModel.DataAnnotations;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// How search keeps its recall when filters select a small part of the table; bound from
/// <c>Mnemora:Semantic</c>. pgvector filters after the HNSW scan, so a small tenant among many
/// could get too few results: filters that select few rows are searched exactly, the others
/// with pgvector 0.8's iterative index scan, told how far it may go.
/// </summary>
public sealed class SemanticSearchOptions
{
    public const string SectionName = "Mnemora:Semantic";

    /// <summary>When the filters select fewer live rows than this, search is exact (every candidate's distance, sorted).</summary>
    [Range(0, 1_000_000)]
    public int ExactSearchMaxRows { get; set; } = 5_000;

    /// <summary>The HNSW candidate list (<c>hnsw.ef_search</c>); at least twice <c>top_k</c> is used.</summary>
    [Range(10, 1000)]
    public int EfSearch { get; set; } = 100;

    /// <summary>
    /// The least number of index tuples an iterative scan may visit (<c>hnsw.max_scan_tuples</c>);
    /// raised per query when the filters' share of the table needs more.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int MinScanTuples { get; set; } = 20_000;
}
