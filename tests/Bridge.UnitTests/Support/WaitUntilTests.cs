using Bridge.IntegrationTests.Infrastructure;
using Xunit.Sdk;

namespace Bridge.UnitTests.Support;

/// <summary>The shared polling helper: returns as soon as the condition holds, and fails naming what was last seen.</summary>
public sealed class WaitUntilTests
{
    [Fact]
    public async Task ValueAsync_ReturnsTheFirstValueThatSatisfiesTheCondition()
    {
        var reads = 0;

        var value = await WaitUntil.ValueAsync(() => Task.FromResult(++reads), static n => n >= 3, static n => $"stopped at {n}",
            TimeSpan.FromSeconds(30), TimeSpan.Zero);

        Assert.Equal(3, value);
        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task ValueAsync_WhenTheTimeIsUp_FailsWithTheMessageOfTheLastValueRead()
    {
        var reads = 0;

        var failure = await Assert.ThrowsAsync<FailException>(() => WaitUntil.ValueAsync(() => Task.FromResult(++reads), static _ => false,
            static n => $"still waiting after read {n}", TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(5)));

        Assert.Equal($"still waiting after read {reads}", failure.Message);
    }

    [Fact]
    public async Task TrueAsync_WithAnAsynchronousCondition_WaitsUntilItHolds()
    {
        var checks = 0;

        await WaitUntil.TrueAsync(async () =>
        {
            await Task.Yield();
            return ++checks == 2;
        }, "the second check", TimeSpan.FromSeconds(30), TimeSpan.Zero);

        Assert.Equal(2, checks);
    }

    [Fact]
    public async Task TrueAsync_WhenTheConditionNeverHolds_SaysWhatWasAwaited()
    {
        var failure = await Assert.ThrowsAsync<FailException>(() => WaitUntil.TrueAsync(static () => false, "the impossible", TimeSpan.FromMilliseconds(30)));

        Assert.Equal("timed out waiting for the impossible", failure.Message);
    }
}
