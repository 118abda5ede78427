namespace Bridge.Broker.Recovery;

/// <summary>
/// Receives one retained message with its offset in the exchange's log. Like <see cref="DeliveryHandler"/>, the
/// body is valid only during the call and the handler must not block.
/// </summary>
public delegate void RetainedHandler(long offset, in BrokerDelivery delivery);
