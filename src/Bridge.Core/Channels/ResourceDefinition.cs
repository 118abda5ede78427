namespace Bridge.Channels;

/// <summary>A resolved resource: its collection (if any), its id field and its watch source (if any).</summary>
public sealed record ResourceDefinition(string Name, string? Collection, string IdField, WatchSource? Watch)
{
    public const string Mq = "mq";

    /// <summary>Where live changes come from; a change stream needs <see cref="Collection"/>.</summary>
    public ChangeSource Changes { get; init; } = ChangeSource.Broker;

    public bool IsMq => Name == Mq;
}
