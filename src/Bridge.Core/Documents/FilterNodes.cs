using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Bridge.Documents;

/// <summary>A node of a parsed filter: a predicate over a whole document.</summary>
internal abstract class FilterNode
{
    public abstract bool Matches(JsonObject document);
}

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

internal sealed class NoneOfNode(IReadOnlyList<FilterNode> children) : FilterNode
{
    public IReadOnlyList<FilterNode> Children => children;

    public override bool Matches(JsonObject document)
    {
        foreach (var child in children)
        {
            if (child.Matches(document))
            {
                return false;
            }
        }

        return true;
    }
}

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

/// <summary>A condition on the values a path reaches (several when the path crosses arrays).</summary>
internal abstract class ValueCondition
{
    public abstract bool Matches(List<PathValue> values);

    /// <summary>
    /// MongoDB's rule for most operators: the condition holds for a value, or for any element of a value
    /// that is an array ("array field contains").
    /// </summary>
    protected static bool AnyValueOrElement(List<PathValue> values, Func<JsonNode?, bool> predicate)
    {
        foreach (var value in values)
        {
            if (!value.Exists)
            {
                continue;
            }

            if (predicate(value.Value))
            {
                return true;
            }

            if (value.Value is JsonArray array)
            {
                foreach (var element in array)
                {
                    if (predicate(element))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}

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

internal enum ComparisonOperator
{
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

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

internal sealed class InCondition(IReadOnlyList<EqualsCondition> alternatives) : ValueCondition
{
    public IReadOnlyList<EqualsCondition> Alternatives => alternatives;

    public override bool Matches(List<PathValue> values)
    {
        foreach (var alternative in alternatives)
        {
            if (alternative.Matches(values))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class ExistsCondition(bool shouldExist) : ValueCondition
{
    public bool ShouldExist => shouldExist;

    public override bool Matches(List<PathValue> values) => values.Exists(static v => v.Exists) == shouldExist;
}

internal sealed class RegexCondition(Regex regex) : ValueCondition
{
    public Regex Regex => regex;

    public override bool Matches(List<PathValue> values) => AnyValueOrElement(values, IsMatch);

    private bool IsMatch(JsonNode? actual)
    {
        if (JsonSemantics.AsString(actual) is not { } text)
        {
            return false;
        }

        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern that backtracks catastrophically on this value does not match it: the bridge
            // must answer, not hang (the timeout is set when the filter is parsed).
            return false;
        }
    }
}

internal sealed class NotCondition(ValueCondition inner) : ValueCondition
{
    public ValueCondition Inner => inner;

    public override bool Matches(List<PathValue> values) => !inner.Matches(values);
}

internal sealed class AllConditions(IReadOnlyList<ValueCondition> conditions) : ValueCondition
{
    public IReadOnlyList<ValueCondition> Conditions { get; } = conditions;

    public override bool Matches(List<PathValue> values)
    {
        foreach (var condition in Conditions)
        {
            if (!condition.Matches(values))
            {
                return false;
            }
        }

        return true;
    }
}
