namespace Bridge.UnitTests;

/// <summary>A clock that only moves when a test moves it (STYLE 14: time is a dependency).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
