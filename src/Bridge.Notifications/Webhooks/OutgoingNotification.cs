namespace Bridge.Webhooks;

/// <summary>A notification serialized once, shared by every subscription it goes to.</summary>
/// <param name="Id">The notification's id: the same for every subscription and every retry (receivers dedupe on it).</param>
/// <param name="Body">The JSON bytes every emitter sends as they are.</param>
/// <param name="TraceContext">The producer's trace context, so that the delivery (a webhook POST's <c>traceparent</c>) joins its trace.</param>
internal sealed record OutgoingNotification(string Id, ReadOnlyMemory<byte> Body, System.Diagnostics.ActivityContext TraceContext = default);
