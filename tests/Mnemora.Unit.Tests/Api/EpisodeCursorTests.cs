using Mnemora.Storage.Memory;

namespace Mnemora.Unit.Tests.Api;

/// <summary>A page cursor carries only a position: it round-trips, and anything else is refused rather than trusted.</summary>
public sealed class EpisodeCursorTests
{
    private static readonly DateTimeOffset s_instant = new(2026, 12, 1, 23, 59, 59, 999, TimeSpan.Zero);

    [Fact]
    public void ACursorRoundTripsToTheSamePosition()
    {
        var position = EpisodePosition.New(s_instant);

        Assert.True(EpisodePosition.TryParseCursor(position.ToCursor(), out var parsed));
        Assert.Equal(position, parsed);
    }

    [Fact]
    public void PositionsSortInTimeOrder()
    {
        var earlier = EpisodePosition.New(s_instant);
        var later = EpisodePosition.New(s_instant.AddTicks(10));

        Assert.True(earlier.CompareTo(later) < 0);
        Assert.Equal("2026-12-01", earlier.Day);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 !")]
    [InlineData("djF8")] // "v1|" and nothing after it
    [InlineData("djJ8MjAyNi0xMi0wMVQyMzo1OTo1OS45OTkwMDBaIzAxOWFkZTdjLWU0ZmYtN2ZmZi1iZmZmLWZmZmZmZmZmZmZmZg")] // a "v2|" cursor
    public void AnythingButAV1PositionIsRefused(string cursor) =>
        Assert.False(EpisodePosition.TryParseCursor(cursor, out _));

    [Fact]
    public void AnOverlongCursorIsRefusedBeforeDecoding() =>
        Assert.False(EpisodePosition.TryParseCursor(new string('A', 129), out _));
}
