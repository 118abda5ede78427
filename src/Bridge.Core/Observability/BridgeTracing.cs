using System.Collections.Concurrent;
using System.Diagnostics;

namespace Bridge.Observability;

/// <summary>
/// The bridge's spans (source <c>Bridge</c>) and the W3C trace context that producers carry in AMQP headers
/// (<c>traceparent</c>, <c>tracestate</c>), so that a message's trace runs from its producer through the bridge to a
/// socket or a webhook receiver.
/// </summary>
public static class BridgeTracing
{
    public const string SourceName = "Bridge";

    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    private const int MaxCachedSpanNames = 256;

    private static readonly ConcurrentDictionary<string, string> SpanNames = new(StringComparer.Ordinal);

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// The producer's context from AMQP headers (values arrive as UTF-8 bytes, read without a string; see
    /// <see cref="TraceParent"/>), or default when there is none or it is malformed.
    /// </summary>
    public static ActivityContext ExtractFromHeaders(IDictionary<string, object?>? headers)
    {
        if (headers is null || !headers.TryGetValue(TraceParentHeader, out var parent))
        {
            return default;
        }

        headers.TryGetValue(TraceStateHeader, out var state);
        return TraceParent.TryParse(parent, state, out var context) ? context : default;
    }

    /// <summary>Writes the current span's context into AMQP headers; false when there is no current span.</summary>
    public static bool InjectIntoHeaders(IDictionary<string, object?> headers)
    {
        if (Activity.Current is not { IdFormat: ActivityIdFormat.W3C } current)
        {
            return false;
        }

        headers[TraceParentHeader] = current.Id;
        if (!string.IsNullOrEmpty(current.TraceStateString))
        {
            headers[TraceStateHeader] = current.TraceStateString;
        }

        return true;
    }

    /// <summary>
    /// Gives an outgoing HTTP request the current span's context, or <paramref name="fallback"/> (the producer's)
    /// when no span is being recorded, so that a receiver's trace joins the producer's either way.
    /// </summary>
    public static void InjectIntoRequest(HttpRequestMessage request, ActivityContext fallback)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            request.Headers.TryAddWithoutValidation(TraceParentHeader, current.Id);
            if (!string.IsNullOrEmpty(current.TraceStateString))
            {
                request.Headers.TryAddWithoutValidation(TraceStateHeader, current.TraceStateString);
            }
        }
        else if (fallback != default)
        {
            var flags = (fallback.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
            request.Headers.TryAddWithoutValidation(TraceParentHeader, $"00-{fallback.TraceId}-{fallback.SpanId}-{flags}");
            if (!string.IsNullOrEmpty(fallback.TraceState))
            {
                request.Headers.TryAddWithoutValidation(TraceStateHeader, fallback.TraceState);
            }
        }
    }

    /// <summary>
    /// Starts the span of one broker message the bridge handles, parented by its producer's context
    /// (messaging semantic conventions: <c>process</c> operation). Null, at no cost, when nobody listens.
    /// </summary>
    public static Activity? StartProcess(string destination, string routingKey, ActivityContext producer)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(ProcessSpanName(destination), ActivityKind.Consumer, producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", destination);
            activity.SetTag("messaging.rabbitmq.destination.routing_key", routingKey);
        }

        return activity;
    }

    // One name per exchange, built once: the bridge only receives from exchanges it binds (configured or allow-listed),
    // so the names are few; the cap keeps a surprise from growing the cache without bound.
    private static string ProcessSpanName(string destination)
    {
        if (SpanNames.TryGetValue(destination, out var name))
        {
            return name;
        }

        name = "process " + destination;
        if (SpanNames.Count < MaxCachedSpanNames)
        {
            SpanNames.TryAdd(destination, name);
        }

        return name;
    }
}
