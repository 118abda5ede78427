using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bridge.Json;

/// <summary>
/// The one writer of outgoing JSON frames, for every front (channel replies, ledger JSON-RPC, the notifications
/// history): the same escaping everywhere and one buffer strategy. A frame is a finished UTF-8 array that can be
/// queued to any number of connections.
/// </summary>
public static class JsonFrames
{
    /// <summary>
    /// Frames are JSON for programs, never embedded in HTML: escape only what JSON requires, as JavaScript's
    /// <c>JSON.stringify</c> does (five-bells clients compare bytes; messages stay readable: "operator '$where'",
    /// not "operator \u0027$where\u0027").
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const int ScratchBytes = 8 * 1024;
    private const int MaxRetainedScratchBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    /// <summary>Writes one JSON object: <paramref name="body"/> writes its members (it must not write a frame itself).</summary>
    public static byte[] WriteObject(Action<Utf8JsonWriter> body)
    {
        ArgumentNullException.ThrowIfNull(body);

        // One writer and scratch buffer per thread, reused; a frame then costs one array of its exact size.
        // A fresh ArrayBufferWriter grew to the writer's 4 KB request at once, and the frame kept that slack
        // alive in every queue it sat in (docs/benchmarks.md: about 5 KB allocated per 260-byte frame).
        var buffer = _scratch ??= new ArrayBufferWriter<byte>(ScratchBytes);
        var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > MaxRetainedScratchBytes)
            {
                // A large list reply grew it: do not keep that much per thread.
                _scratch = null;
                _writer = null;
            }
        }
    }
}
