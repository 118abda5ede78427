using System.ComponentModel.DataAnnotations;

namespace Bridge.Channels;

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
