using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.Channels;

/// <summary>
/// Encodes the channel replies (contract: "Replies", exact keys). Every method returns a finished UTF-8
/// frame that can be queued to any number of connections.
/// </summary>
public static class ChannelFrames
{
    // Frames are JSON for programs, never embedded in HTML: escape only what JSON requires, so that
    // messages stay readable ("operator '$where'", not "operator \u0027$where\u0027").
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const int ScratchBytes = 8 * 1024;
    private const int MaxRetainedScratchBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public static ReadOnlyMemory<byte> Session(Guid id) => Write(writer =>
    {
        writer.WriteString("handler", "session");
        writer.WriteString("id", id);
    });

    public static ReadOnlyMemory<byte> List(string resource, IReadOnlyList<JsonObject> items) => Write(writer =>
    {
        writer.WriteString("handler", "list");
        writer.WriteString("resource", resource);
        writer.WritePropertyName("items");
        writer.WriteStartArray();
        foreach (var item in items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
    });

    /// <summary><c>item</c> or <c>remove</c> with a JSON id and data, both written as they are.</summary>
    public static ReadOnlyMemory<byte> Change(string handler, string resource, JsonNode? id, JsonNode? data) => Write(writer =>
    {
        writer.WriteString("handler", handler);
        writer.WriteString("resource", resource);
        writer.WritePropertyName("id");
        WriteNode(writer, id);
        writer.WritePropertyName("data");
        WriteNode(writer, data);
    });

    /// <summary><c>item</c>/<c>remove</c> from a broker message: the record is copied from the body without re-parsing into objects.</summary>
    public static ReadOnlyMemory<byte> Change(string handler, string resource, Action<Utf8JsonWriter> writeId, JsonElement data) => Write(writer =>
    {
        writer.WriteString("handler", handler);
        writer.WriteString("resource", resource);
        writer.WritePropertyName("id");
        writeId(writer);
        writer.WritePropertyName("data");
        data.WriteTo(writer);
    });

    public static ReadOnlyMemory<byte> Error(string? resource, string code, string message, string? handler) => Write(writer =>
    {
        writer.WriteString("handler", "error");
        if (resource is null)
        {
            writer.WriteNull("resource");
        }
        else
        {
            writer.WriteString("resource", resource);
        }

        writer.WriteStartObject("params");
        writer.WriteString("code", code);
        writer.WriteString("message", message);
        if (handler is not null)
        {
            writer.WriteString("request", handler);
        }

        writer.WriteEndObject();
    });

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    private static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> body)
    {
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
