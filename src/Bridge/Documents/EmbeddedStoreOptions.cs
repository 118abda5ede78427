namespace Bridge.Documents;

/// <summary>Settings of the embedded document store (section <c>Bridge:Embedded</c>).</summary>
public sealed class EmbeddedStoreOptions
{
    public const string SectionName = "Bridge:Embedded";

    /// <summary>
    /// Re-create the sample MonoRail collections (<see cref="SampleData.CollectionNames"/>) at every start.
    /// When false, nothing is seeded and every collection is persisted. Default true.
    /// </summary>
    public bool Seed { get; set; } = true;
}
