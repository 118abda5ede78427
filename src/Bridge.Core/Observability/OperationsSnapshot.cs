namespace Bridge.Observability;

/// <summary>What <c>GET /api/operations</c> answers.</summary>
internal sealed record OperationsSnapshot(
    IReadOnlyDictionary<string, long> Connections,
    double DeliveriesPerSecond,
    long DeliveriesTotal,
    double DeliveryLatencyP99Milliseconds,
    long SlowConsumerDisconnects,
    long ClientErrors,
    long WebhookFailures,
    long BrokerReconnects,
    DependencyState Broker,
    DependencyState Store);
