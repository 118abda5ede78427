using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Bridge.Channels.Recovery;

/// <summary>The frames of recovery (issue 16 §1): a watch frame with its <c>position</c>, and <c>recovered</c>.</summary>
internal static class RecoveryFrames
{
    private static readonly byte[] PositionMember = Encoding.UTF8.GetBytes(",\"position\":\"");

    /// <summary>
    /// The frame with <c>"position":"..."</c> appended as its last member. The frame was encoded once for every
    /// watcher; this splices the position in rather than encoding it again. A position holds letters, digits and
    /// one dash, so it needs no escaping.
    /// </summary>
    public static ReadOnlyMemory<byte> WithPosition(ReadOnlySpan<byte> frame, string position)
    {
        if (frame.Length < 2 || frame[^1] != (byte)'}')
        {
            throw new ArgumentException("a frame is one JSON object", nameof(frame));
        }

        var result = new byte[frame.Length - 1 + PositionMember.Length + position.Length + 2];
        frame[..^1].CopyTo(result);
        var at = frame.Length - 1;
        PositionMember.CopyTo(result, at);
        at += PositionMember.Length;
        at += Encoding.ASCII.GetBytes(position, result.AsSpan(at));
        result[at++] = (byte)'"';
        result[at] = (byte)'}';
        return result;
    }

    /// <summary><c>{"handler":"recovered","resource":R,"params":P,"recovered":B,"missed":N}</c>.</summary>
    public static ReadOnlyMemory<byte> Recovered(string resource, string canonicalParams, bool recovered, long missed)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("handler", "recovered");
            writer.WriteString("resource", resource);
            writer.WritePropertyName("params");
            writer.WriteRawValue(canonicalParams, skipInputValidation: true);
            writer.WriteBoolean("recovered", recovered);
            writer.WriteNumber("missed", missed);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
