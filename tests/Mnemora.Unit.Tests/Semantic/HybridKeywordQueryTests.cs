using Mnemora.Storage.Semantic;

namespace Mnemora.Unit.Tests.Semantic;

/// <summary>
/// What hybrid search matches by words: a query's ids, codes and names, any of them; a query of ordinary
/// words only, all of them (so memories sharing one common word with it do not outrank its meaning).
/// </summary>
public sealed class HybridKeywordQueryTests
{
    [Theory]
    [InlineData("INV-2024-6305-B", "INV-2024-6305-B")]
    [InlineData("what happened with INV-2024-2144-B?", "INV-2024-2144-B")]
    [InlineData("any news on order 9921 for Dana Whitfield", "9921 or Dana or Whitfield")]
    [InlineData("who refreshes the HTTPS certs", "HTTPS")]
    [InlineData("Refund status", "Refund status")]
    [InlineData("when does the test environment data get erased", "when does the test environment data get erased")]
    [InlineData("can I park here", "can I park here")]
    public void IdentifierLikeWordsAreMatchedAnyElseAllWords(string query, string expected) =>
        Assert.Equal(expected, SemanticMemoryRepository.HybridKeywordQuery(query));
}
