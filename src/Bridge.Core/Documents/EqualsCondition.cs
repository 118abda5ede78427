using System.Text.Json.Nodes;

namespace Bridge.Documents;

internal sealed class EqualsCondition(JsonNode? expected) : ValueCondition
{
    public JsonNode? Expected { get; } = expected;

    public override bool Matches(List<PathValue> values)
    {
        // Equality to null also matches a missing field, as in MongoDB.
        if (Expected is null && values.Exists(static v => !v.Exists))
        {
            return true;
        }

        return AnyValueOrElement(values, actual => JsonSemantics.DeepEquals(actual, Expected));
    }
}
