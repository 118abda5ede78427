namespace Bridge.Broker;

/// <summary>Receives deliveries for one subscription. Called on the broker's dispatch thread: never block.</summary>
public delegate void DeliveryHandler(in BrokerDelivery delivery);
