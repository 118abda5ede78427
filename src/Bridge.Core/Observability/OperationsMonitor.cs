using System.Diagnostics.Metrics;
using Bridge.Broker;
using Bridge.Documents;

namespace Bridge.Observability;

/// <summary>
/// The dashboard's operations strip, read from the same instruments <c>/metrics</c> exports: a
/// <see cref="MeterListener"/> on this host's own <c>Bridge</c> meter keeps the few figures the strip shows, and a
/// one-second tick turns the delivery counter into a rate. Nothing here parses Prometheus text.
/// </summary>
internal sealed class OperationsMonitor : BackgroundService
{
    private const int LatencySamples = 4096;
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private static readonly HashSet<string> ShownInstruments = new(StringComparer.Ordinal)
    {
        "bridge.connections", "bridge.slow_consumer_disconnects", "bridge.client_errors", "bridge.broker.reconnects",
        "bridge.webhook.attempts", "bridge.delivery.latency",
    };

    private readonly BridgeMetrics _metrics;
    private readonly IBroker _broker;
    private readonly IDocumentStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _connections = new(StringComparer.Ordinal);
    private readonly double[] _latencies = new double[LatencySamples];
    private readonly Queue<(long Timestamp, long Deliveries)> _deliverySamples = new();
    private int _latencyCount;
    private int _latencyNext;
    private long _slowConsumerDisconnects;
    private long _webhookFailures;
    private long _clientErrors;
    private long _brokerReconnects;

    public OperationsMonitor(BridgeMetrics metrics, IBroker broker, IDocumentStore store, TimeProvider timeProvider)
    {
        _metrics = metrics;
        _broker = broker;
        _store = store;
        _timeProvider = timeProvider;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only what the strip shows: every other instrument (the broker's per-message counter above all) would
            // cost a callback and this lock per measurement for nothing.
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && ShownInstruments.Contains(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    public OperationsSnapshot Snapshot()
    {
        var broker = _broker.Status;
        var store = _store.Status;
        lock (_lock)
        {
            return new OperationsSnapshot(
                Connections: new Dictionary<string, long>(_connections, StringComparer.Ordinal),
                DeliveriesPerSecond: DeliveryRate(),
                DeliveriesTotal: _metrics.DeliveriesTotal,
                DeliveryLatencyP99Milliseconds: LatencyP99() * 1000,
                SlowConsumerDisconnects: _slowConsumerDisconnects,
                ClientErrors: _clientErrors,
                WebhookFailures: _webhookFailures,
                BrokerReconnects: _brokerReconnects,
                Broker: new DependencyState(broker.IsReady, broker.Description),
                Store: new DependencyState(store.IsReady, store.Description));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                lock (_lock)
                {
                    _deliverySamples.Enqueue((_timeProvider.GetTimestamp(), _metrics.DeliveriesTotal));
                    while (_deliverySamples.Count > RateWindow.TotalSeconds + 1)
                    {
                        _deliverySamples.Dequeue();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        lock (_lock)
        {
            switch (instrument.Name)
            {
                case "bridge.connections":
                    var front = TagValue(tags, "front") ?? "";
                    _connections[front] = _connections.GetValueOrDefault(front) + value;
                    break;
                case "bridge.slow_consumer_disconnects":
                    _slowConsumerDisconnects += value;
                    break;
                case "bridge.client_errors":
                    _clientErrors += value;
                    break;
                case "bridge.broker.reconnects":
                    _brokerReconnects += value;
                    break;
                case "bridge.webhook.attempts":
                    if (TagValue(tags, "outcome") is "failed" or "gave_up")
                    {
                        _webhookFailures += value;
                    }

                    break;
            }
        }
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name != "bridge.delivery.latency")
        {
            return;
        }

        lock (_lock)
        {
            _latencies[_latencyNext] = value;
            _latencyNext = (_latencyNext + 1) % LatencySamples;
            _latencyCount = Math.Min(_latencyCount + 1, LatencySamples);
        }
    }

    private double DeliveryRate()
    {
        if (_deliverySamples.Count < 2)
        {
            return 0;
        }

        var first = _deliverySamples.Peek();
        var elapsed = _timeProvider.GetElapsedTime(first.Timestamp).TotalSeconds;
        return elapsed <= 0 ? 0 : Math.Max(0, _metrics.DeliveriesTotal - first.Deliveries) / elapsed;
    }

    private double LatencyP99()
    {
        if (_latencyCount == 0)
        {
            return 0;
        }

        var samples = _latencies.AsSpan(0, _latencyCount).ToArray();
        Array.Sort(samples);
        return samples[(int)Math.Ceiling(samples.Length * 0.99) - 1];
    }

    private static string? TagValue(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
