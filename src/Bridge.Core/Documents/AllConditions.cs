namespace Bridge.Documents;

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
