namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// The one way these tests wait for a condition that becomes true asynchronously: poll it, and fail with a
/// message saying what was awaited once <c>timeout</c> has passed (generous by default: the machine is shared).
/// The unit tests compile this same file in (linked), so there is one copy of the loop in the repository.
/// </summary>
public static class WaitUntil
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with "timed out waiting for <paramref name="what"/>".</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null) =>
        TrueAsync(condition, () => $"timed out waiting for {what}", timeout, poll);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="failure"/>'s message, computed only then.</summary>
    public static Task TrueAsync(Func<bool> condition, Func<string> failure, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return TrueAsync(() => Task.FromResult(condition()), failure, timeout, poll);
    }

    /// <summary>Waits until the asynchronous <paramref name="condition"/> (an HTTP call, a page's content) holds.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null) =>
        TrueAsync(condition, () => $"timed out waiting for {what}", timeout, poll);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds; fails with <paramref name="failure"/>'s message.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> failure, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(failure);
        await ValueAsync(condition, static done => done, _ => failure(), timeout, poll);
    }

    /// <summary>
    /// Reads <paramref name="probe"/> until <paramref name="done"/> holds for what it returned, and returns that; fails
    /// with <paramref name="failure"/> of the last value read (a scrape, a status document) once the time is up.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, string> failure, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(failure);
        var started = TimeProvider.System.GetTimestamp();
        var budget = timeout ?? DefaultTimeout;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (TimeProvider.System.GetElapsedTime(started) > budget)
            {
                Assert.Fail(failure(value));
            }

            await Task.Delay(poll ?? DefaultPoll);
        }
    }
}
