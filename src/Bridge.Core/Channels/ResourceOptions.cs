namespace Bridge.Channels;

/// <summary>One entry of the resource table (contract: "A resource is configured, not coded").</summary>
public sealed class ResourceOptions
{
    /// <summary>The document collection behind query/all/get; none makes those answer <c>not_supported</c>.</summary>
    public string? Collection { get; set; }

    /// <summary>The field that identifies a document of this resource in replies.</summary>
    public string IdField { get; set; } = "id";

    /// <summary>Exchange watched; defaults to <c>on.waterline</c> for collection resources.</summary>
    public string? Exchange { get; set; }

    /// <summary>Binding key watched; defaults to <c>&lt;collection&gt;.#</c> for collection resources.</summary>
    public string? RoutingKey { get; set; }

    /// <summary>Defaults to <see cref="WatchFormat.Waterline"/> when the resource has a collection and no exchange of its own.</summary>
    public WatchFormat? Format { get; set; }

    /// <summary>
    /// Where live changes come from: the broker (default), a MongoDB change stream on <see cref="Collection"/>, or
    /// both. Unset: <c>Bridge:Mongo:ChangeStreams</c> decides for resources with a collection. On one of the
    /// default resources this may be the only key set: the rest of the default definition stays.
    /// </summary>
    public ChangeSource? Changes { get; set; }
}
