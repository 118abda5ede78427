using Bridge.Channels;

namespace Bridge.UnitTests.Channels;

public sealed class DuplicateChangeFilterTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TheSameChangeFromBothSources_IsDeliveredOnce_WhicheverComesFirst()
    {
        var filter = new DuplicateChangeFilter(_clock);

        Assert.False(filter.IsDuplicate(ChangeOrigin.Broker, "created", "a"));
        Assert.True(filter.IsDuplicate(ChangeOrigin.ChangeStream, "created", "a"));
        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "updated", "a"));
        Assert.True(filter.IsDuplicate(ChangeOrigin.Broker, "updated", "a"));
        Assert.Equal(0, filter.PendingCount);
    }

    [Fact]
    public void TwoChangesFromOneSource_AreBothDelivered_AndPairOneEachWithTheOtherSource()
    {
        var filter = new DuplicateChangeFilter(_clock);

        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "updated", "a"));
        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "updated", "a"));
        Assert.True(filter.IsDuplicate(ChangeOrigin.Broker, "updated", "a"));
        Assert.True(filter.IsDuplicate(ChangeOrigin.Broker, "updated", "a"));
        Assert.False(filter.IsDuplicate(ChangeOrigin.Broker, "updated", "a"));
    }

    [Fact]
    public void AChangeOnlyOneSourceSaw_Expires_AndALaterTwinIsNotSwallowed()
    {
        var filter = new DuplicateChangeFilter(_clock);

        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "destroyed", "a"));
        _clock.Advance(DuplicateChangeFilter.Window + TimeSpan.FromMilliseconds(1));

        Assert.False(filter.IsDuplicate(ChangeOrigin.Broker, "destroyed", "a"));
        Assert.Equal(1, filter.PendingCount);
    }

    [Fact]
    public void DifferentEventsOrIds_NeverPair()
    {
        var filter = new DuplicateChangeFilter(_clock);

        Assert.False(filter.IsDuplicate(ChangeOrigin.Broker, "created", "a"));
        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "created", "b"));
        Assert.False(filter.IsDuplicate(ChangeOrigin.ChangeStream, "updated", "a"));
    }
}
