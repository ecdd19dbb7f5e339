using Mnemora.Storage;

namespace Mnemora.Unit.Tests.Storage;

/// <summary>The contract's identifier rules, and the S3 key segment each id becomes.</summary>
public sealed class IdentifierRulesTests
{
    private static readonly string[] s_frameworkIds =
    [
        "agent-1", "thread-1|child:1", "ns:parent|child:1", "crew agent", "user/42", "Müller", "名前", "🙂", "a:b@c.d", "../x", "%2F", "~YQ",
        " ", "a\u200Bb", "\u202Eevil", "a\u00A0b", "' OR '1'='1", new string('a', 256), new string('é', 128), string.Concat(Enumerable.Repeat("🙂", 64)),
    ];

    public static TheoryData<string> FrameworkIds() => new(s_frameworkIds);

    public static TheoryData<string> RefusedIds() =>
    [
        "", ".", "..", "a#b", "#", "a\u0000b", "a\nb", "a\tb", "a\u007Fb", "a\u0085b", "\u009B",
        new string('a', 257), new string('é', 129), string.Concat(Enumerable.Repeat("名", 86)),
    ];

    [Theory]
    [MemberData(nameof(FrameworkIds))]
    public void WhatFrameworksSendIsAnIdAndComesBackFromItsKeySegment(string id)
    {
        Assert.True(Identifiers.IsValidId(id));
        var segment = Identifiers.ToKeySegment(id);
        Assert.DoesNotContain('/', segment);
        Assert.DoesNotContain('#', segment);
        Assert.NotEqual(".", segment);
        Assert.NotEqual("..", segment);
        Assert.True(segment.Length <= 343, $"{segment.Length} characters");
        Assert.Equal(id, Identifiers.FromKeySegment(segment));
    }

    [Theory]
    [MemberData(nameof(RefusedIds))]
    public void HashControlCharactersAndOverlongIdsAreRefused(string id) => Assert.False(Identifiers.IsValidId(id));

    /// <summary>Built here, not given as theory data: a test runner that passes data between processes replaces lone surrogates.</summary>
    [Fact]
    public void LoneSurrogatesAreRefused()
    {
        const char High = '\uD800', Low = '\uDC00';
        foreach (var id in (string[])["a" + High + "b", "a" + Low, string.Concat(Low, High), High.ToString()])
        {
            Assert.False(Identifiers.IsValidId(id), $"{id.Length} chars accepted");
        }

        Assert.True(Identifiers.IsValidId(string.Concat(High, Low)));
    }

    [Fact]
    public void IdsOfTheNarrowAlphabetKeepTheKeysTheyHadBeforeIdsWereWidened()
    {
        foreach (var id in (string[])["agent-1", "support.bot", "user@example.com", "ns:1", "A_b-C"])
        {
            Assert.Equal(id, Identifiers.ToKeySegment(id));
        }
    }

    [Fact]
    public void DistinctIdsNeverShareASegment()
    {
        var ids = s_frameworkIds.Concat(["a", "a|b", "a%7Cb", "YQ", "~YQ", "~fllR", "user", "user%2F42"]).Distinct().ToList();
        var segments = ids.Select(Identifiers.ToKeySegment).ToList();
        Assert.Equal(ids.Count, segments.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("~")]
    [InlineData("~!!")]
    [InlineData("~" + "Iw")]
    [InlineData("a b")]
    [InlineData("~YWdlbnQtMQ")]
    public void ASegmentThatNoIdBecomesStandsForNone(string segment) => Assert.Null(Identifiers.FromKeySegment(segment));

    [Fact]
    public void TenantIdsKeepTheNarrowAlphabet()
    {
        Assert.True(Identifiers.IsValidTenantId("acme-01.eu:prod@x"));
        Assert.False(Identifiers.IsValidTenantId("acme corp"));
        Assert.False(Identifiers.IsValidTenantId("acme/x"));
        Assert.False(Identifiers.IsValidTenantId("ténant"));
    }
}
