namespace Bridge.Channels;

/// <summary>Where a resource's live changes come from (<c>Bridge:Channels:Resources:&lt;name&gt;:Changes</c>).</summary>
public enum ChangeSource
{
    /// <summary>The broker: RackHD's <c>on.waterline</c> events (or the resource's own exchange). Today's behaviour.</summary>
    Broker,

    /// <summary>A MongoDB change stream on the resource's collection: every writer's changes, not only RackHD's.</summary>
    ChangeStream,

    /// <summary>Both, each change delivered once.</summary>
    Both,
}
