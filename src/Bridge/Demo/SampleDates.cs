using System.Text.Json.Nodes;
using Bridge.Kernel;

namespace Bridge.Demo;

/// <summary>
/// Moves the sample data's timestamps (fixed offsets from 2024-03-01T08:00:00Z) so that the newest lands
/// just before the bridge started: a newcomer's dashboard shows nodes discovered "3h ago", not "1006d ago". Every
/// timestamp moves by the same amount, so their order and spacing stay as <see cref="SampleData"/> wrote them.
/// Ids keep their fixed ObjectId prefix: tests and links name them.
/// </summary>
internal static class SampleDates
{
    /// <summary>How long before the start the newest sample timestamp lies.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    /// <summary>The sample data (<see cref="SampleData.Create"/>) dated so that its newest timestamp is <see cref="Margin"/> before <paramref name="start"/>.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> CreateBefore(DateTimeOffset start)
    {
        var data = SampleData.Create();
        var newest = DateTimeOffset.MinValue;
        Visit(data, value =>
        {
            newest = value > newest ? value : newest;
            return null;
        });
        if (newest == DateTimeOffset.MinValue)
        {
            return data;
        }

        var shift = start - Margin - newest;
        Visit(data, value => value + shift);
        return data;
    }

    /// <summary>Calls <paramref name="visit"/> with every timestamp string; a non-null result replaces it.</summary>
    private static void Visit(IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> data, Func<DateTimeOffset, DateTimeOffset?> visit)
    {
        // Iterative: the sample documents are ours, but nothing here needs to recurse.
        var pending = new Stack<JsonNode>(data.Values.SelectMany(documents => documents));
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj.ToList())
                    {
                        if (Replace(value, visit) is { } replaced)
                        {
                            obj[name] = replaced;
                        }
                        else if (value is not null)
                        {
                            pending.Push(value);
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (Replace(array[i], visit) is { } replaced)
                        {
                            array[i] = replaced;
                        }
                        else if (array[i] is { } item)
                        {
                            pending.Push(item);
                        }
                    }

                    break;
            }
        }
    }

    private static JsonValue? Replace(JsonNode? node, Func<DateTimeOffset, DateTimeOffset?> visit) =>
        node is JsonValue value && value.TryGetValue<string>(out var text)
            && IsoTime.TryParseExact(text, out var time)
            && visit(time) is { } moved
                ? JsonValue.Create(IsoTime.Format(moved))
                : null;
}
