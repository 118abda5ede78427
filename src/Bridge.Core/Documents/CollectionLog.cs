using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Bridge.Documents;

/// <summary>
/// The durable form of one embedded collection: an append-only JSON-lines file of
/// <c>{"op":"insert"|"upsert","id":..,"doc":{..}}</c> and <c>{"op":"delete","id":..}</c> records.
/// Every append is flushed to disk before it returns; at start the file is replayed and rewritten with
/// one insert per live document.
/// </summary>
internal sealed class CollectionLog : IDisposable
{
    public const string Extension = ".jsonl";

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    private CollectionLog(FileStream stream)
    {
        _stream = stream;
    }

    public string Path => _stream.Name;

    /// <summary>Replays the file (if any) into the live documents in their order, then compacts it and opens it for appending.</summary>
    public static CollectionLog Open(string path, ILogger logger, out List<KeyValuePair<string, JsonElement>> documents)
    {
        var live = new Dictionary<string, (long Order, JsonElement Body)>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            var records = Replay(path, logger, live);
            DocumentsLog.CollectionReplayed(logger, System.IO.Path.GetFileNameWithoutExtension(path), records, live.Count);
        }

        documents = [.. live.OrderBy(static e => e.Value.Order).Select(static e => KeyValuePair.Create(e.Key, e.Value.Body))];
        Compact(path, documents);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
        return new CollectionLog(stream);
    }

    public void AppendInsert(string id, JsonElement document) => Append("insert", id, document);

    public void AppendUpsert(string id, JsonElement document) => Append("upsert", id, document);

    public void AppendDelete(string id) => Append("delete", id, null);

    public void Dispose() => _stream.Dispose();

    private void Append(string op, string id, JsonElement? document)
    {
        _buffer.ResetWrittenCount();
        WriteRecord(_buffer, op, id, document);
        _buffer.Write(NewLine);
        _stream.Write(_buffer.WrittenSpan);
        _stream.Flush(flushToDisk: true);
    }

    private static void WriteRecord(IBufferWriter<byte> output, string op, string id, JsonElement? document)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("op", op);
        writer.WriteString("id", id);
        if (document is { } doc)
        {
            writer.WritePropertyName("doc");
            doc.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static int Replay(string path, ILogger logger, Dictionary<string, (long Order, JsonElement Body)> live)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        var last = Array.FindLastIndex(lines, static l => l.Length > 0);
        var records = 0;
        long order = 0;
        for (var i = 0; i <= last; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            if (!TryReadRecord(lines[i], out var op, out var id, out var body))
            {
                if (i == last)
                {
                    // Only the last write can be cut short; everything before it was flushed whole.
                    DocumentsLog.TornLastLineIgnored(logger, path, i + 1);
                    break;
                }

                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"The embedded store file {path} is damaged at line {i + 1} (not a valid record); fix or remove that line."));
            }

            records++;
            switch (op)
            {
                case "delete":
                    live.Remove(id);
                    break;
                default:
                    // An upsert of a live document keeps its place, as a replace does in MongoDB.
                    live[id] = (live.TryGetValue(id, out var existing) ? existing.Order : order++, body);
                    break;
            }
        }

        return records;
    }

    private static bool TryReadRecord(string line, out string op, out string id, out JsonElement body)
    {
        op = id = "";
        body = default;
        try
        {
            using var record = JsonDocument.Parse(line);
            var root = record.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("op", out var opElement) || opElement.GetString() is not { } opText
                || !root.TryGetProperty("id", out var idElement) || idElement.GetString() is not { } idText)
            {
                return false;
            }

            op = opText;
            id = idText;
            if (op == "delete")
            {
                return true;
            }

            if (op is not ("insert" or "upsert")
                || !root.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            body = doc.Clone();
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Rewrites the file with one insert per live document, replacing it atomically.</summary>
    private static void Compact(string path, List<KeyValuePair<string, JsonElement>> documents)
    {
        var temporary = path + ".compact";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            foreach (var (id, body) in documents)
            {
                buffer.ResetWrittenCount();
                WriteRecord(buffer, "insert", id, body);
                buffer.Write(NewLine);
                stream.Write(buffer.WrittenSpan);
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
