using System.Text.Json.Nodes;

namespace Bridge.Documents;

internal sealed class ComparisonCondition(ComparisonOperator op, JsonNode? bound) : ValueCondition
{
    public ComparisonOperator Operator => op;

    public JsonNode? Bound => bound;

    public override bool Matches(List<PathValue> values)
    {
        if (bound is null
            && op is ComparisonOperator.GreaterThanOrEqual or ComparisonOperator.LessThanOrEqual
            && values.Exists(static v => !v.Exists))
        {
            return true;
        }

        return AnyValueOrElement(values, Holds);
    }

    private bool Holds(JsonNode? actual)
    {
        var order = JsonSemantics.CompareComparable(actual, bound);
        return order is { } o && op switch
        {
            ComparisonOperator.GreaterThan => o > 0,
            ComparisonOperator.GreaterThanOrEqual => o >= 0,
            ComparisonOperator.LessThan => o < 0,
            _ => o <= 0,
        };
    }
}
