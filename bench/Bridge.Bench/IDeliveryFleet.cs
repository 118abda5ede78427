namespace Bridge.Bench;

/// <summary>
/// Clients of one system that count deliveries into a <see cref="DeliveryRun"/>: the raw WebSocket fleet
/// (<see cref="SubscriberFleet"/>) and the SignalR peer's HubConnection fleet (<see cref="SignalRFleet"/>).
/// </summary>
public interface IDeliveryFleet : IAsyncDisposable
{
    int Count { get; }

    /// <summary>Connections that ended while the fleet was running (a slow-consumer abort, a server error).</summary>
    long UnexpectedCloses { get; }

    /// <summary>Starts counting deliveries into a new run (the previous one, if any, stops counting).</summary>
    DeliveryRun Begin(long expected, bool recordLatency);

    void End();
}
