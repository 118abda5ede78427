using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>A condition on the values one (dotted) path reaches.</summary>
internal sealed class FieldNode(string path, ValueCondition condition) : FilterNode
{
    private readonly string[] _segments = path.Split('.');

    public string Path { get; } = path;

    public ValueCondition Condition { get; } = condition;

    public override bool Matches(JsonObject document)
    {
        var values = new List<PathValue>(2);
        JsonSemantics.Resolve(document, _segments, 0, values);
        return Condition.Matches(values);
    }
}
