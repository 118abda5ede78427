using Bridge.Documents.Mongo;

namespace Bridge.UnitTests.Documents;

public sealed class NativeCallThreadsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RunAsync_ReturnsTheResult_OrTheException_OffTheCallersThread()
    {
        using var threads = new NativeCallThreads(2, "test");
        var caller = Environment.CurrentManagedThreadId;

        var ranOn = await threads.RunAsync(() => Environment.CurrentManagedThreadId).WaitAsync(Timeout);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => threads.RunAsync<int>(() => throw new InvalidOperationException("driver said no")).WaitAsync(Timeout));

        Assert.NotEqual(caller, ranOn);
        Assert.Equal("driver said no", failure.Message);
    }

    [Fact]
    public async Task BlockedCalls_NeverOccupyMoreThanTheThreads_AndTheRestWaitTheirTurn()
    {
        using var threads = new NativeCallThreads(2, "test");
        using var gate = new ManualResetEventSlim(false);
        var running = 0;
        var mostAtOnce = 0;
        int Blocked()
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostAtOnce, now);
            gate.Wait(Timeout);
            Interlocked.Decrement(ref running);
            return now;
        }

        var calls = Enumerable.Range(0, 5).Select(_ => threads.RunAsync(Blocked)).ToList();
        await WaitUntilAsync(() => Volatile.Read(ref running) == 2);
        await Task.Delay(200);
        Assert.Equal(2, Volatile.Read(ref running));
        Assert.DoesNotContain(calls, call => call.IsCompleted);

        gate.Set();
        await Task.WhenAll(calls).WaitAsync(Timeout);
        Assert.Equal(2, mostAtOnce);
    }

    [Fact]
    public async Task AfterDispose_NewCallsFail()
    {
        var threads = new NativeCallThreads(1, "test");
        threads.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => threads.RunAsync(() => 1).WaitAsync(Timeout));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the calls did not start");
            await Task.Delay(20);
        }
    }
}
