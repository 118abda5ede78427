using System.Text.Json.Nodes;

namespace Bridge.Documents;

internal sealed class AnyOfNode(IReadOnlyList<FilterNode> children) : FilterNode
{
    public IReadOnlyList<FilterNode> Children => children;

    public override bool Matches(JsonObject document)
    {
        foreach (var child in children)
        {
            if (child.Matches(document))
            {
                return true;
            }
        }

        return false;
    }
}
