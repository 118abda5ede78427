using System.Text.Json;
using Bridge.Json;

namespace Bridge.Ledger;

/// <summary>Encodes the frames of the ledger WebSocket.</summary>
internal static class RpcFrames
{
    /// <summary><c>{"jsonrpc":"2.0","id":null,"method":"connect"}</c>, the first frame of every authenticated connection.</summary>
    public static readonly ReadOnlyMemory<byte> Connect = """{"jsonrpc":"2.0","id":null,"method":"connect"}"""u8.ToArray();

    public static byte[] Result(JsonElement id, int result) => Write(id, writer => writer.WriteNumber("result", result));

    /// <param name="id">The request's id, or null before it is known to be valid (the answer then says <c>"id":null</c>).</param>
    /// <param name="error">What went wrong.</param>
    public static byte[] Error(JsonElement? id, RpcException error) => Write(id, writer =>
    {
        writer.WriteStartObject("error");
        writer.WriteNumber("code", error.Code);
        writer.WriteString("message", $"{error.Name}: {error.Message}");
        writer.WriteStartObject("data");
        writer.WriteString("name", error.Name);
        writer.WriteString("message", error.Message);
        if (error.ValidationError is { } validation)
        {
            writer.WriteStartArray("validationErrors");
            writer.WriteStartObject();
            writer.WriteString("keyword", validation.Keyword);
            writer.WriteString("dataPath", validation.DataPath);
            writer.WriteString("schemaPath", validation.SchemaPath);
            writer.WriteStartObject("params");
            if (validation.ParamName is not null)
            {
                writer.WritePropertyName(validation.ParamName);
                JsonSerializer.Serialize(writer, validation.ParamValue);
            }

            writer.WriteEndObject();
            writer.WriteString("message", validation.Message);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    /// <summary><c>{"jsonrpc":"2.0","id":null,"method":"notify","params":&lt;params&gt;}</c>: the same bytes for every recipient.</summary>
    public static byte[] Notify(Action<Utf8JsonWriter> writeParams)
    {
        ArgumentNullException.ThrowIfNull(writeParams);
        return JsonFrames.WriteObject(writer =>
        {
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteNull("id");
            writer.WriteString("method", "notify");
            writer.WritePropertyName("params");
            writeParams(writer);
        });
    }

    private static byte[] Write(JsonElement? id, Action<Utf8JsonWriter> writeBody) => JsonFrames.WriteObject(writer =>
    {
        writer.WriteString("jsonrpc", "2.0");
        writer.WritePropertyName("id");
        WriteId(writer, id);
        writeBody(writer);
    });

    // JSON.stringify of the parsed id: numbers come back in JavaScript's shortest form (1.50 → 1.5).
    private static void WriteId(Utf8JsonWriter writer, JsonElement? id)
    {
        if (id is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            writer.WriteNullValue();
        }
        else if (element.ValueKind == JsonValueKind.Number)
        {
            if (element.TryGetInt64(out var integer) && Math.Abs(integer) < (1L << 53))
            {
                writer.WriteNumberValue(integer);
            }
            else
            {
                var value = element.GetDouble();
                if (double.IsFinite(value))
                {
                    writer.WriteNumberValue(value);
                }
                else
                {
                    writer.WriteNullValue();
                }
            }
        }
        else
        {
            element.WriteTo(writer);
        }
    }
}
