namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// The one way these tests wait for a condition that becomes true asynchronously: poll it, and fail with a
/// message saying what was awaited once <c>timeout</c> has passed (generous by default: the machine is shared).
/// </summary>
public static class WaitUntil
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with "timed out waiting for <paramref name="what"/>".</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(condition, () => $"timed out waiting for {what}", timeout);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="failure"/>'s message, computed only then.</summary>
    public static async Task TrueAsync(Func<bool> condition, Func<string> failure, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(failure);
        var deadline = TimeProvider.System.GetTimestamp();
        var budget = timeout ?? DefaultTimeout;
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(deadline) > budget)
            {
                Assert.Fail(failure());
            }

            await Task.Delay(PollInterval);
        }
    }
}
