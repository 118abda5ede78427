using System.Text.Json.Nodes;

namespace Bridge.Documents;

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
