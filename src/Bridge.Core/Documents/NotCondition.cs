namespace Bridge.Documents;

internal sealed class NotCondition(ValueCondition inner) : ValueCondition
{
    public ValueCondition Inner => inner;

    public override bool Matches(List<PathValue> values) => !inner.Matches(values);
}
