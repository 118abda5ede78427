namespace Bridge.Documents;

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
