using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>A node of a parsed filter: a predicate over a whole document.</summary>
internal abstract class FilterNode
{
    public abstract bool Matches(JsonObject document);
}
