using System.Diagnostics.Metrics;

namespace Bridge.Observability;

/// <summary>
/// The bridge's own instruments (meter <c>Bridge</c>), as <c>/metrics</c> shows them once the Prometheus exporter
/// has renamed them (<c>bridge.deliveries</c> → <c>bridge_deliveries_total</c>, unit <c>s</c> → <c>_seconds</c>).
/// Every label is bounded: a front, a configured resource or exchange, an error code, an outcome; never a
/// routing key, an id or an account.
/// </summary>
/// <remarks>
/// Created from the host's <see cref="IMeterFactory"/>, so each host (and each test host) has its own meter.
/// What happens once per frame (deliveries to sockets) is counted in plain fields and read by an observable
/// instrument at collection time, so fan-out to a thousand sockets costs a thousand increments, not a thousand
/// trips through the metrics SDK.
/// </remarks>
public sealed class BridgeMetrics
{
    public const string MeterName = "Bridge";

    // Delivery latency is sub-millisecond in process and seconds when something is wrong; the SDK's default
    // boundaries are for milliseconds, and would put every delivery into the first bucket.
    private static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly UpDownCounter<long> _watches;
    private readonly Counter<long> _brokerMessages;
    private readonly Counter<long> _brokerReconnects;
    private readonly Histogram<double> _storeOperationDuration;
    private readonly Counter<long> _webhookAttempts;
    private readonly Counter<long> _ledgerEvents;
    private Func<long>? _queuedFrames;

    public BridgeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);

        ConnectionCounter = Meter.CreateUpDownCounter<long>("bridge.connections", "{connection}", "Open WebSocket connections");
        _watches = Meter.CreateUpDownCounter<long>("bridge.watches", "{watch}", "Active channel watches and ledger account subscriptions");
        _brokerMessages = Meter.CreateCounter<long>("bridge.broker.messages", "{message}", "Messages received from the broker");
        Meter.CreateObservableCounter("bridge.deliveries", ObserveDeliveries, "{frame}", "Frames queued to client sockets");
        DeliveryLatency = Meter.CreateHistogram("bridge.delivery.latency", "s",
            "From a broker message's arrival to its frames handed to the sockets' queues", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        SlowConsumerDisconnects = Meter.CreateCounter<long>("bridge.slow_consumer_disconnects", "{connection}",
            "Clients disconnected because their send queue was full");
        Meter.CreateObservableGauge("bridge.send_queue.frames", () => _queuedFrames?.Invoke() ?? 0, "{frame}",
            "Frames waiting in the send queues of all connections");
        ClientErrors = Meter.CreateCounter<long>("bridge.client_errors", "{message}", "Client messages refused, by error code");
        _brokerReconnects = Meter.CreateCounter<long>("bridge.broker.reconnects", "{change}", "Broker connection state changes (lost, recovered)");
        _storeOperationDuration = Meter.CreateHistogram("bridge.store.operation.duration", "s", "Document store operations", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _webhookAttempts = Meter.CreateCounter<long>("bridge.webhook.attempts", "{attempt}", "Webhook delivery attempts, by outcome");
        _ledgerEvents = Meter.CreateCounter<long>("bridge.ledger.events", "{event}", "Ledger transfer events from the broker, by outcome");

        Channels = new FrontMetrics(Front.Channels, this);
        Ledger = new FrontMetrics(Front.Ledger, this);
    }

    public Meter Meter { get; }

    /// <summary>The MonoRail channel front's instruments.</summary>
    public FrontMetrics Channels { get; }

    /// <summary>The ledger front's instruments.</summary>
    public FrontMetrics Ledger { get; }

    /// <summary>Frames queued to sockets by every front since start.</summary>
    public long DeliveriesTotal => Channels.Deliveries + Ledger.Deliveries;

    internal UpDownCounter<long> ConnectionCounter { get; }

    internal Histogram<double> DeliveryLatency { get; }

    internal Counter<long> SlowConsumerDisconnects { get; }

    internal Counter<long> ClientErrors { get; }

    /// <summary>Tells the send-queue gauge where to read the number of queued frames (the connection registry).</summary>
    public void ObserveQueuedFrames(Func<long> queuedFrames) => _queuedFrames = queuedFrames;

    public void BrokerMessageReceived(string exchange) => _brokerMessages.Add(1, new KeyValuePair<string, object?>("exchange", exchange));

    /// <param name="state"><c>lost</c> or <c>recovered</c>.</param>
    public void BrokerConnectionChanged(string state) => _brokerReconnects.Add(1, new KeyValuePair<string, object?>("state", state));

    public void WatchesChanged(string front, string resource, int delta) =>
        _watches.Add(delta, new KeyValuePair<string, object?>("front", front), new KeyValuePair<string, object?>("resource", resource));

    /// <summary>One store operation: which store (<c>embedded</c>, <c>mongodb</c>), which operation, how it ended (<c>ok</c>, <c>unavailable</c>, <c>error</c>), how long it took.</summary>
    public void StoreOperation(string store, string operation, string outcome, TimeSpan elapsed) =>
        _storeOperationDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("store", store),
            new KeyValuePair<string, object?>("operation", operation),
            new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="outcome"><c>delivered</c>, <c>retried</c>, <c>failed</c> or <c>gave_up</c>.</param>
    public void WebhookAttempt(string outcome) => _webhookAttempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="outcome"><c>routed</c> or <c>invalid</c>.</param>
    public void LedgerEvent(string outcome) => _ledgerEvents.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    private IEnumerable<Measurement<long>> ObserveDeliveries()
    {
        yield return new Measurement<long>(Channels.Deliveries, Channels.FrontTag);
        yield return new Measurement<long>(Ledger.Deliveries, Ledger.FrontTag);
    }
}
