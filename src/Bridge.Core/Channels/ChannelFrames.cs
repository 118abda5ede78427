using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Json;

namespace Bridge.Channels;

/// <summary>
/// Encodes the channel replies (contract: "Replies", exact keys). Every method returns a finished UTF-8
/// frame that can be queued to any number of connections.
/// </summary>
public static class ChannelFrames
{
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

    /// <param name="resource">The request's resource.</param>
    /// <param name="code">The machine-readable code.</param>
    /// <param name="message">The human text.</param>
    /// <param name="handler">The refused request's handler (<c>"request"</c>).</param>
    /// <param name="watch">
    /// For a refused <c>watch</c>: its params (<c>{}</c> for none), echoed as <c>"watch"</c> so that a client holding
    /// several watches of one resource knows which was refused (its clients retry a <c>"recover"</c> watch refused
    /// with <c>not_supported</c> without it).
    /// </param>
    public static ReadOnlyMemory<byte> Error(string? resource, string code, string message, string? handler, JsonNode? watch = null) => Write(writer =>
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

        if (handler == "watch")
        {
            writer.WritePropertyName("watch");
            if (watch is JsonObject)
            {
                WriteNode(writer, watch);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
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

    // The one frame writer of every front (escaping and buffers alike).
    private static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> body) => JsonFrames.WriteObject(body);
}
