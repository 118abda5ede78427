namespace Bridge.Broker;

/// <summary>
/// A message as it left the broker: the exchange it was published to, its routing key and its body.
/// The body is only valid for the duration of the handler call; a handler that keeps it must copy it.
/// </summary>
/// <param name="Exchange">The exchange it was published to.</param>
/// <param name="RoutingKey">Its routing key.</param>
/// <param name="Body">Its body, valid only during the handler call.</param>
/// <param name="TraceContext">The producer's trace context (W3C <c>traceparent</c> in the AMQP headers), or default.</param>
/// <param name="ReceivedTimestamp">When the bridge received it (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for the delivery-latency metric; 0 when unknown.</param>
public readonly record struct BrokerDelivery(
    string Exchange,
    string RoutingKey,
    ReadOnlyMemory<byte> Body,
    System.Diagnostics.ActivityContext TraceContext = default,
    long ReceivedTimestamp = 0)
{
    /// <summary>
    /// The message's id (AMQP <c>message-id</c>) when the publisher gave one; the bridge's own publishes always
    /// do. It is the same on every redelivery, which is what makes a webhook's <c>webhook-id</c> stable.
    /// </summary>
    public string? MessageId { get; init; }

    /// <summary>
    /// True when the broker says it may have handed this message out before (AMQP <c>redelivered</c>): a consumer
    /// whose node died after it acted but before its acknowledgement arrived. A store that must keep each message
    /// once checks for it then.
    /// </summary>
    public bool Redelivered { get; init; }
}
