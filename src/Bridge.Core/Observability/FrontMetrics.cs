using System.Diagnostics;

namespace Bridge.Observability;

/// <summary>The instruments of one front (<see cref="Front"/>), with the <c>front</c> label bound once.</summary>
public sealed class FrontMetrics
{
    private readonly BridgeMetrics _metrics;

    // Read by the observable bridge.deliveries counter; see BridgeMetrics for why it is a plain field.
    private long _deliveries;

    internal FrontMetrics(string front, BridgeMetrics metrics)
    {
        Name = front;
        FrontTag = new KeyValuePair<string, object?>("front", front);
        _metrics = metrics;
    }

    public string Name { get; }

    /// <summary>Frames queued to sockets of this front since start.</summary>
    public long Deliveries => Volatile.Read(ref _deliveries);

    internal KeyValuePair<string, object?> FrontTag { get; }

    public void ConnectionOpened() => _metrics.ConnectionCounter.Add(1, FrontTag);

    public void ConnectionClosed() => _metrics.ConnectionCounter.Add(-1, FrontTag);

    /// <summary>One frame queued to one socket: a plain increment, read by <c>bridge_deliveries_total</c>.</summary>
    public void FrameQueued() => Interlocked.Increment(ref _deliveries);

    public void SlowConsumerDisconnected() => _metrics.SlowConsumerDisconnects.Add(1, FrontTag);

    public void ClientError(string code) => _metrics.ClientErrors.Add(1, FrontTag, new KeyValuePair<string, object?>("code", code));

    public void WatchesChanged(string resource, int delta) => _metrics.WatchesChanged(Name, resource, delta);

    /// <summary>Records the time from <paramref name="receivedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) until now.</summary>
    public void DeliveryHandedOver(long receivedTimestamp)
    {
        if (receivedTimestamp != 0 && _metrics.DeliveryLatency.Enabled)
        {
            _metrics.DeliveryLatency.Record(Stopwatch.GetElapsedTime(receivedTimestamp).TotalSeconds, FrontTag);
        }
    }
}
