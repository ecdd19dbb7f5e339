using System.Text.Json;
using Mnemora.Storage.Semantic;

namespace Mnemora.Unit.Tests.Semantic;

public sealed class MetadataFilterTests
{
    private static MetadataFilter Compile(string json) => MetadataFilter.Compile(JsonDocument.Parse(json).RootElement)!;

    [Fact]
    public void KeysAndValuesAreParametersNeverText()
    {
        var filter = Compile("""{"it's'; DROP TABLE x; --": {"$eq": "'); DELETE FROM semantic_memory; --"}}""");

        Assert.DoesNotContain("DROP", filter.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("DELETE", filter.Sql, StringComparison.Ordinal);
        Assert.Equal("metadata -> @mf0 = @mf1::jsonb", filter.Sql);
        Assert.Equal("it's'; DROP TABLE x; --", filter.Parameters[0].Value);
        Assert.Equal("\"'); DELETE FROM semantic_memory; --\"", filter.Parameters[1].Value);
    }

    [Fact]
    public void ABareValueMeansEquality() =>
        Assert.Equal("metadata -> @mf0 = @mf1::jsonb", Compile("""{"topic": "billing"}""").Sql);

    [Fact]
    public void EveryOperatorCompiles()
    {
        var filter = Compile("""
            {"$or": [
                {"a": {"$ne": 1}}, {"b": {"$in": ["x", 2]}}, {"c": {"$nin": [true]}},
                {"d": {"$gt": 1, "$lte": 9.5}}, {"e": {"$gte": "2024-01-01", "$lt": "2025"}}, {"f": {"$exists": false}},
                {"$and": [{"g": null}, {"h": {"$exists": true}}]}
            ]}
            """);

        Assert.StartsWith("(", filter.Sql, StringComparison.Ordinal);
        Assert.Contains(" OR ", filter.Sql, StringComparison.Ordinal);
        Assert.Contains("IS DISTINCT FROM", filter.Sql, StringComparison.Ordinal);
        Assert.Contains("= ANY (@", filter.Sql, StringComparison.Ordinal);
        Assert.Contains("::numeric > @", filter.Sql, StringComparison.Ordinal);
        Assert.Contains("COLLATE \"C\" >= @", filter.Sql, StringComparison.Ordinal);
        Assert.Contains("NOT jsonb_exists(metadata, @", filter.Sql, StringComparison.Ordinal);
        Assert.Equal(1.0m, filter.Parameters.Single(p => p.Value is decimal d && d == 1m).Value);
    }

    [Fact]
    public void TheCreationWindowIsBound()
    {
        var after = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        var filter = MetadataFilter.Compile(null, after, after.AddDays(1))!;

        Assert.Equal("created_at > @mf0 AND created_at < @mf1", filter.Sql);
        Assert.Equal(after.UtcDateTime, filter.Parameters[0].Value);
    }

    [Fact]
    public void NothingToFilterIsNull()
    {
        Assert.Null(MetadataFilter.Compile(null));
        Assert.Null(MetadataFilter.Compile(JsonDocument.Parse("{}").RootElement));
    }

    [Theory]
    [InlineData("""{"a": {"$regex": "x"}}""")]
    [InlineData("""{"$not": {"a": 1}}""")]
    [InlineData("""{"a": {}}""")]
    [InlineData("""{"a": {"$in": []}}""")]
    [InlineData("""{"a": {"$in": 3}}""")]
    [InlineData("""{"a": {"$in": [{"b": 1}]}}""")]
    [InlineData("""{"a": {"$gt": true}}""")]
    [InlineData("""{"a": {"$gt": 1e400}}""")]
    [InlineData("""{"a": {"$exists": 1}}""")]
    [InlineData("""{"a": {"$eq": {"b": 1}}}""")]
    [InlineData("""{"$or": []}""")]
    [InlineData("""{"$and": {"a": 1}}""")]
    [InlineData("""{"$or": [1]}""")]
    [InlineData("""{"": 1}""")]
    public void WhatIsNotAFilterIsRefused(string json) =>
        Assert.Throws<MetadataFilterException>(() => Compile(json));

    [Fact]
    public void DepthIsBounded()
    {
        var ok = """{"$and": [{"$or": [{"$and": [{"$or": [{"a": 1}]}]}]}]}""";
        var tooDeep = """{"$and": [{"$or": [{"$and": [{"$or": [{"$and": [{"a": 1}]}]}]}]}]}""";

        Assert.NotNull(Compile(ok));
        Assert.Throws<MetadataFilterException>(() => Compile(tooDeep));
    }

    [Fact]
    public void SizeIsBounded()
    {
        var many = "{" + string.Join(",", Enumerable.Range(0, MetadataFilter.MaxConditions + 1).Select(i => $"\"k{i}\": {i}")) + "}";
        var list = "{\"a\": {\"$in\": [" + string.Join(",", Enumerable.Range(0, MetadataFilter.MaxListValues + 1)) + "]}}";
        var key = "{\"" + new string('k', MetadataFilter.MaxKeyLength + 1) + "\": 1}";

        Assert.Throws<MetadataFilterException>(() => Compile(many));
        Assert.Throws<MetadataFilterException>(() => Compile(list));
        Assert.Throws<MetadataFilterException>(() => Compile(key));
    }
}
