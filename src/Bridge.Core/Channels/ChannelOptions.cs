using System.ComponentModel.DataAnnotations;

namespace Bridge.Channels;

/// <summary>How a resource's broker messages become channel frames.</summary>
public enum WatchFormat
{
    /// <summary>RackHD's database changes: body <c>{"event","record"}</c>, routing key <c>&lt;collection&gt;.&lt;event&gt;.&lt;id&gt;</c>.</summary>
    Waterline,

    /// <summary>Any message: <c>item</c> with the routing key as id and the body as data (as <c>mq</c> does).</summary>
    Raw,
}

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

/// <summary>The MonoRail channel front (section <c>Bridge:Channels</c>).</summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Bridge:Channels";

    /// <summary>Whether channels admit connections without a token. Default: on in the embedded demo, off otherwise.</summary>
    public bool? AllowAnonymous { get; set; }

    /// <summary>Upper bound of <c>all</c> and of <c>query</c> results.</summary>
    [Range(1, 100_000)]
    public int MaxResults { get; set; } = 1000;

    [Range(1, 10_000)]
    public int MaxWatchesPerConnection { get; set; } = 256;

    /// <summary>
    /// How long one <c>query</c>, <c>get</c> or watch snapshot may spend evaluating its filter over the embedded
    /// store before it is answered <c>filter_too_costly</c> (MongoDB gets it as <c>maxTimeMS</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00", ErrorMessage = "Bridge:Channels:FilterEvaluationBudget must be between {1} and {2}.")]
    public TimeSpan FilterEvaluationBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries queued per filtered watch group awaiting evaluation; a group that falls this far behind disconnects its members.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Bridge:Channels:WatchFilterQueueCapacity must be between {1} and {2}.")]
    public int WatchFilterQueueCapacity { get; set; } = 1024;

    /// <summary>Exchanges an <c>mq</c> watch may name. Null means the RackHD defaults.</summary>
    public List<string>? MqExchanges { get; set; }

    /// <summary>Added to, or overriding, the RackHD resource table (<see cref="ResourceTable.Defaults"/>).</summary>
    public Dictionary<string, ResourceOptions> Resources { get; set; } = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> DefaultMqExchanges { get; } =
        ["on.events", "on.logging", "on.waterline", "on.heartbeat", "on.test"];
}
