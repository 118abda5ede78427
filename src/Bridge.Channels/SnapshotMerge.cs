using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Json;

namespace Bridge.Channels;

/// <summary>
/// Which live frames, held while a snapshot was read, the client still needs after the snapshot's <c>list</c>.
/// </summary>
/// <remarks>
/// The rule, applied to the held frames in arrival order, with "present" starting as the snapshot's documents
/// (by the resource's id field, with their <c>updatedAt</c>):
/// <list type="bullet">
/// <item>an <c>item</c> (created/updated) is dropped when its record is present with an <c>updatedAt</c> at least
/// as new as the record's: the snapshot already shows that version. Otherwise it is kept and its record becomes
/// the present one. Without <c>updatedAt</c> on either side the frame is kept: a possible repeat beats a loss.</item>
/// <item>a <c>remove</c> is dropped when its id is not present (the snapshot was read after the delete); otherwise
/// it is kept and the id is no longer present.</item>
/// </list>
/// Raw (<c>mq</c>) frames carry no record identity; snapshots are only taken of collection resources.
/// </remarks>
internal static class SnapshotMerge
{
    public static IEnumerable<ReadOnlyMemory<byte>> Unreflected(IReadOnlyList<JsonObject> snapshot, string idField, IReadOnlyList<ReadOnlyMemory<byte>> held)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(held);
        var present = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var document in snapshot)
        {
            if (Text(document[idField]) is { } id)
            {
                present[id] = Text(document["updatedAt"]);
            }
        }

        foreach (var frame in held)
        {
            var (isRemove, id, updatedAt) = Describe(frame.Span, idField);
            if (id is null)
            {
                yield return frame;
                continue;
            }

            if (isRemove)
            {
                if (present.Remove(id))
                {
                    yield return frame;
                }

                continue;
            }

            if (present.TryGetValue(id, out var shown) && IsAtLeast(shown, updatedAt))
            {
                continue;
            }

            present[id] = updatedAt;
            yield return frame;
        }
    }

    private static (bool IsRemove, string? Id, string? UpdatedAt) Describe(ReadOnlySpan<byte> frame, string idField)
    {
        // Our own frame around a record the parser bounded to MaxDocumentDepth: allow the frame's own levels too.
        var message = JsonNode.Parse(frame, documentOptions: new JsonDocumentOptions { MaxDepth = UntrustedJson.MaxDocumentDepth + 2 }) as JsonObject;
        var isRemove = Text(message?["handler"]) == "remove";
        var record = message?["data"] as JsonObject;
        var id = Text(record?[idField]) ?? (message?["id"] switch
        {
            JsonArray { Count: 2 } pair => Text(pair[1]),
            var single => Text(single),
        });
        return (isRemove, id, Text(record?["updatedAt"]));
    }

    private static bool IsAtLeast(string? shown, string? incoming)
    {
        if (shown is null || incoming is null)
        {
            return false;
        }

        return DateTimeOffset.TryParse(shown, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var a)
            && DateTimeOffset.TryParse(incoming, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var b)
                ? a >= b
                : string.CompareOrdinal(shown, incoming) >= 0;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
