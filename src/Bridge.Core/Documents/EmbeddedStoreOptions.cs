namespace Bridge.Documents;

/// <summary>Settings of the embedded document store (section <c>Bridge:Embedded</c>).</summary>
internal sealed class EmbeddedStoreOptions
{
    public const string SectionName = "Bridge:Embedded";

    /// <summary>
    /// Re-create the sample MonoRail collections (the host's <see cref="IDocumentSeed"/>) at every start.
    /// When false, nothing is seeded and every collection is persisted. Default true.
    /// </summary>
    public bool Seed { get; set; } = true;

    /// <summary>How often documents past a TTL index's age are removed (MongoDB's TTL monitor runs every 60 s).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan TtlSweepInterval { get; set; } = TimeSpan.FromSeconds(60);
}
