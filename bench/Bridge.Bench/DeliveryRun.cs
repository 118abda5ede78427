using System.Diagnostics;

namespace Bridge.Bench;

/// <summary>
/// One measured burst: counts deliveries across every subscriber, notes when the first message was stamped
/// and when the last delivery arrived, and (for latency runs) keeps every publish-to-receive time.
/// Called concurrently by all receive loops; lock-free.
/// </summary>
public sealed class DeliveryRun
{
    private readonly long _expected;
    private readonly long[]? _latencies;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private long _latencyCount;
    private long _firstStamp = long.MaxValue;
    private long _lastReceipt;

    public DeliveryRun(long expected, bool recordLatency)
    {
        _expected = expected;
        _latencies = recordLatency ? new long[expected] : null;
    }

    public long Expected => _expected;

    public long Received => Interlocked.Read(ref _received);

    public Task Completed => _completed.Task;

    /// <summary>From the first message's publish stamp to the last delivery, in seconds.</summary>
    public double ElapsedSeconds => (Interlocked.Read(ref _lastReceipt) - Interlocked.Read(ref _firstStamp)) / (double)Stopwatch.Frequency;

    public double DeliveriesPerSecond => Received / ElapsedSeconds;

    public void OnDelivery(long seq, long stamp, long receivedAt)
    {
        if (seq == 0)
        {
            // Every subscriber sees message 0 with the same stamp; any of them may set it.
            Volatile.Write(ref _firstStamp, stamp);
        }

        if (_latencies is not null)
        {
            var slot = Interlocked.Increment(ref _latencyCount) - 1;
            if (slot < _latencies.Length)
            {
                _latencies[slot] = receivedAt - stamp;
            }
        }

        var received = Interlocked.Increment(ref _received);
        if (received >= _expected)
        {
            Volatile.Write(ref _lastReceipt, receivedAt);
            _completed.TrySetResult();
        }
        else
        {
            // Keep the latest receipt too, so that an incomplete run still has an end.
            var last = Volatile.Read(ref _lastReceipt);
            if (receivedAt > last)
            {
                Interlocked.CompareExchange(ref _lastReceipt, receivedAt, last);
            }
        }
    }

    /// <summary>Latency percentiles in milliseconds over every recorded delivery.</summary>
    public LatencySummary Latency()
    {
        if (_latencies is null)
        {
            throw new InvalidOperationException("this run did not record latencies");
        }

        var count = (int)Math.Min(Interlocked.Read(ref _latencyCount), _latencies.Length);
        var sorted = _latencies[..count];
        Array.Sort(sorted);
        return count == 0
            ? new LatencySummary(double.NaN, double.NaN, double.NaN, 0)
            : new LatencySummary(Millis(Percentile(sorted, 0.50)), Millis(Percentile(sorted, 0.99)), Millis(sorted[^1]), count);
    }

    /// <summary>Every recorded publish-to-receive time in <see cref="Stopwatch"/> ticks, for merging runs of several processes.</summary>
    public long[] LatencyTicks() =>
        _latencies is null
            ? throw new InvalidOperationException("this run did not record latencies")
            : _latencies[..(int)Math.Min(Interlocked.Read(ref _latencyCount), _latencies.Length)];

    /// <summary>Percentiles in milliseconds of publish-to-receive times in <see cref="Stopwatch"/> ticks.</summary>
    public static LatencySummary Summarize(long[] ticks)
    {
        var sorted = ticks.Order().ToArray();
        return sorted.Length == 0
            ? new LatencySummary(double.NaN, double.NaN, double.NaN, 0)
            : new LatencySummary(Millis(Percentile(sorted, 0.50)), Millis(Percentile(sorted, 0.99)), Millis(sorted[^1]), sorted.Length);
    }

    private static long Percentile(long[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Millis(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

public readonly record struct LatencySummary(double P50Ms, double P99Ms, double MaxMs, int Samples);
