using System.Text.Json.Nodes;

namespace Bridge.Documents;

internal sealed class AllOfNode(IReadOnlyList<FilterNode> children) : FilterNode
{
    public IReadOnlyList<FilterNode> Children { get; } = children;

    public override bool Matches(JsonObject document)
    {
        foreach (var child in Children)
        {
            if (!child.Matches(document))
            {
                return false;
            }
        }

        return true;
    }
}
