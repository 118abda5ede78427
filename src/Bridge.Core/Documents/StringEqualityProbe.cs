using System.Text;
using System.Text.Json;

namespace Bridge.Documents;

/// <summary>
/// A cheap test, on a stored document as it is held (a <see cref="JsonElement"/>), that rules out the documents a
/// filter with a string equality (<see cref="Filter.TryGetStringEquality"/>) cannot match, before the document is
/// turned into a <see cref="System.Text.Json.Nodes.JsonObject"/> to be evaluated. That conversion builds a dictionary of
/// every field and a string of every name: the embedded store's scans spent most of their time, and all of their
/// garbage, on it (issue 17: a <c>get</c> by id turned 500 documents on average into objects to return one).
/// </summary>
/// <remarks>
/// It answers only what it is sure of, and leaves the rest to the filter: a path that reaches an array, at its end or on
/// its way, may reach the string through an element, by position or through nested objects, so such a document is
/// evaluated as before.
/// </remarks>
internal sealed class StringEqualityProbe
{
    // As UTF-8, the form the element compares names in: a string name would be transcoded on every lookup.
    private readonly byte[][] _segments;
    private readonly byte[] _expected;

    /// <summary>A probe for a filter whose <see cref="Filter.TryGetStringEquality"/> found <paramref name="path"/> and <paramref name="expected"/>.</summary>
    public StringEqualityProbe(string path, string expected)
    {
        _segments = [.. path.Split('.').Select(Encoding.UTF8.GetBytes)];
        _expected = Encoding.UTF8.GetBytes(expected);
    }

    /// <summary>True when <paramref name="document"/> certainly does not match: its path reaches no such string.</summary>
    public bool RulesOut(JsonElement document) => !MayReach(document, 0);

    private bool MayReach(JsonElement node, int index)
    {
        if (index == _segments.Length)
        {
            return node.ValueKind switch
            {
                JsonValueKind.String => node.ValueEquals(_expected),
                JsonValueKind.Array => true,
                _ => false,
            };
        }

        return node.ValueKind switch
        {
            // A missing field reaches nothing, as in JsonSemantics.Resolve.
            JsonValueKind.Object => node.TryGetProperty(_segments[index], out var child) && MayReach(child, index + 1),
            JsonValueKind.Array => true,
            _ => false,
        };
    }
}
