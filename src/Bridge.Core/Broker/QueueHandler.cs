namespace Bridge.Broker;

/// <summary>
/// Handles one message of a durable queue; the delivery's body stays valid until the returned task completes.
/// Returns true to acknowledge, false to dead-letter (say why in the log).
/// </summary>
public delegate ValueTask<bool> QueueHandler(BrokerDelivery delivery, CancellationToken cancellationToken);
