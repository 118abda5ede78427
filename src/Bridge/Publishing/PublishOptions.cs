namespace Bridge.Publishing;

/// <summary>Settings of <c>POST /api/publish</c> under <c>Bridge:Publish</c>.</summary>
internal sealed class PublishOptions
{
    public const string SectionName = "Bridge:Publish";

    /// <summary>
    /// Exchanges an admin may publish to, declared if missing; empty (the default) allows the bridge's own
    /// exchanges and any exchange that already exists (see <see cref="PublishTargets"/>).
    /// </summary>
    public List<string> AllowedExchanges { get; } = [];
}
