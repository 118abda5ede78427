using System.Buffers.Text;
using System.Diagnostics;

namespace Bridge.Bench;

/// <summary>
/// The benchmark message: JSON <c>{"seq":"0000000042","ts":"…","pad":"xxx…"}</c> of an exact size, with the
/// publisher's <see cref="Stopwatch"/> timestamp at publish time. Stopwatch reads CLOCK_MONOTONIC on Linux,
/// which every process on the machine shares, so a receiver in another process can subtract it.
/// Numbers travel as fixed-width strings: JSON numbers may not have leading zeros, and the bridge re-writes
/// the body through a JSON writer.
/// </summary>
public static class PayloadFormat
{
    private const int SeqDigits = 10;
    private const int TsDigits = 19;

    private static readonly byte[] SeqMarker = "{\"seq\":\""u8.ToArray();
    private static readonly byte[] TsMarker = "\",\"ts\":\""u8.ToArray();
    private static readonly byte[] PadMarker = "\",\"pad\":\""u8.ToArray();
    private static readonly byte[] End = "\"}"u8.ToArray();

    public static int MinimumSize { get; } = SeqMarker.Length + SeqDigits + TsMarker.Length + TsDigits + PadMarker.Length + End.Length;

    /// <summary>A payload of <paramref name="size"/> bytes with zeroed seq and ts, ready for <see cref="Stamp"/>.</summary>
    public static byte[] Template(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        var payload = new byte[size];
        var span = payload.AsSpan();
        var at = 0;
        Put(span, ref at, SeqMarker);
        span.Slice(at, SeqDigits).Fill((byte)'0');
        at += SeqDigits;
        Put(span, ref at, TsMarker);
        span.Slice(at, TsDigits).Fill((byte)'0');
        at += TsDigits;
        Put(span, ref at, PadMarker);
        var padLength = size - at - End.Length;
        span.Slice(at, padLength).Fill((byte)'x');
        at += padLength;
        Put(span, ref at, End);
        return payload;
    }

    /// <summary>Writes the sequence number and the current timestamp into a copy of the template (at <paramref name="offset"/> within <paramref name="frame"/>).</summary>
    public static void Stamp(Span<byte> frame, int offset, long seq, long timestamp)
    {
        WriteDigits(frame.Slice(offset + SeqMarker.Length, SeqDigits), seq);
        WriteDigits(frame.Slice(offset + SeqMarker.Length + SeqDigits + TsMarker.Length, TsDigits), timestamp);
    }

    /// <summary>Finds every benchmark payload in a received message (a STOMP message may in principle carry several).</summary>
    public static int Read(ReadOnlySpan<byte> message, Span<(long Seq, long Timestamp)> found)
    {
        var count = 0;
        var rest = message;
        while (count < found.Length)
        {
            var at = rest.IndexOf(SeqMarker);
            if (at < 0 || rest.Length - at < MinimumSize - PadMarker.Length - End.Length)
            {
                break;
            }

            rest = rest[(at + SeqMarker.Length)..];
            if (!Utf8Parser.TryParse(rest[..SeqDigits], out long seq, out _))
            {
                continue;
            }

            rest = rest[(SeqDigits + TsMarker.Length)..];
            if (!Utf8Parser.TryParse(rest[..TsDigits], out long timestamp, out _))
            {
                continue;
            }

            found[count++] = (seq, timestamp);
            rest = rest[TsDigits..];
        }

        return count;
    }

    private static void Put(Span<byte> span, ref int at, byte[] bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    private static void WriteDigits(Span<byte> target, long value)
    {
        for (var i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
