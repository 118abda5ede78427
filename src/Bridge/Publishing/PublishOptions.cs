namespace Bridge.Publishing;

/// <summary>Settings of <c>POST /api/publish</c> under <c>Bridge:Publish</c>.</summary>
public sealed class PublishOptions
{
    public const string SectionName = "Bridge:Publish";

    /// <summary>Exchanges an admin may publish to; empty (the default) allows any.</summary>
    public List<string> AllowedExchanges { get; } = [];
}
