namespace Bridge.Channels;

/// <summary>Where a resource's live changes come from.</summary>
public sealed record WatchSource(string Exchange, string RoutingKey, WatchFormat Format);
