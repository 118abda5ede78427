namespace Bridge.Documents;

internal sealed class ExistsCondition(bool shouldExist) : ValueCondition
{
    public bool ShouldExist => shouldExist;

    public override bool Matches(List<PathValue> values) => values.Exists(static v => v.Exists) == shouldExist;
}
