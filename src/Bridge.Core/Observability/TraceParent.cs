using System.Diagnostics;
using System.Text;

namespace Bridge.Observability;

/// <summary>
/// Reads a W3C <c>traceparent</c> (https://www.w3.org/TR/trace-context/#traceparent-header) from the UTF-8 bytes an
/// AMQP header carries, without building a string from them: every traced message's header is read twice (by
/// RabbitMQ.Client for its deliver span's link and by the bridge for its process span's parent), and going through
/// <see cref="ActivityContext.TryParse(string, string, bool, out ActivityContext)"/> meant a 55-character string each
/// time (docs/benchmarks.md, "Tracing per message").
/// </summary>
internal static class TraceParent
{
    // "00-" + 32 hex + "-" + 16 hex + "-" + 2 hex.
    private const int Length = 55;
    private const int TraceIdStart = 3;
    private const int SpanIdStart = 36;
    private const int FlagsStart = 53;

    /// <summary>
    /// The context in <paramref name="traceParent"/> with <paramref name="traceState"/>, remote; false (and default)
    /// when the header is not a valid traceparent, which the specification says to treat as absent.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> traceParent, string? traceState, out ActivityContext context)
    {
        context = default;
        if (traceParent.Length < Length
            || traceParent[2] != '-' || traceParent[SpanIdStart - 1] != '-' || traceParent[FlagsStart - 1] != '-'
            || !TryReadHexByte(traceParent, 0, out var version) || version == 0xff
            // Version 00 is exactly 55 characters; a later version may append fields after a dash.
            || (version == 0 ? traceParent.Length != Length : traceParent.Length > Length && traceParent[Length] != '-'))
        {
            return false;
        }

        var traceId = traceParent.Slice(TraceIdStart, 32);
        var spanId = traceParent.Slice(SpanIdStart, 16);
        if (!IsLowerHexAndNotAllZeros(traceId) || !IsLowerHexAndNotAllZeros(spanId) || !TryReadHexByte(traceParent, FlagsStart, out var flags))
        {
            return false;
        }

        context = new ActivityContext(
            ActivityTraceId.CreateFromUtf8String(traceId),
            ActivitySpanId.CreateFromUtf8String(spanId),
            (ActivityTraceFlags)flags,
            traceState,
            isRemote: true);
        return true;
    }

    /// <summary>An AMQP header value as UTF-8 bytes (RabbitMQ.Client hands strings over as byte arrays), or a string.</summary>
    public static bool TryParse(object? traceParent, object? traceState, out ActivityContext context)
    {
        var state = traceState switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            ReadOnlyMemory<byte> memory => Encoding.UTF8.GetString(memory.Span),
            _ => null,
        };
        switch (traceParent)
        {
            case byte[] bytes:
                return TryParse(bytes, state, out context);
            case ReadOnlyMemory<byte> memory:
                return TryParse(memory.Span, state, out context);
            case string text:
                return ActivityContext.TryParse(text, state, isRemote: true, out context);
            default:
                context = default;
                return false;
        }
    }

    private static bool IsLowerHexAndNotAllZeros(ReadOnlySpan<byte> hex)
    {
        var allZeros = true;
        foreach (var c in hex)
        {
            if (!IsLowerHex(c))
            {
                return false;
            }

            allZeros &= c == '0';
        }

        return !allZeros;
    }

    private static bool TryReadHexByte(ReadOnlySpan<byte> text, int start, out byte value)
    {
        value = 0;
        if (!IsLowerHex(text[start]) || !IsLowerHex(text[start + 1]))
        {
            return false;
        }

        value = (byte)((HexValue(text[start]) << 4) | HexValue(text[start + 1]));
        return true;
    }

    private static bool IsLowerHex(byte c) => c is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f');

    private static int HexValue(byte c) => c <= '9' ? c - '0' : c - 'a' + 10;
}
