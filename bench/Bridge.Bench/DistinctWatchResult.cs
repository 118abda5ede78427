namespace Bridge.Bench;

/// <summary>
/// One system at one number of distinct watches: every message has exactly one recipient, so deliveries equal
/// messages. CPU is per published message, read from /proc/&lt;pid&gt;/stat of the server (the bridge) and of the
/// RabbitMQ node (for Web-STOMP the node is the server).
/// </summary>
/// <param name="System">"bridge", "bridge, no history" (--distinct-without-history), "bridge before" (the pre-change build given with --baseline-bridge) or "webstomp".</param>
/// <param name="Variant">Which workload.</param>
/// <param name="Watches">N: clients, each with its own watch.</param>
/// <param name="Messages">Messages per repetition, published round robin over the N nodes.</param>
public sealed record DistinctWatchResult(string System, DistinctWatchVariant Variant, int Watches, int Messages)
{
    /// <summary>Messages per second the repetitions were published at (<c>--distinct-rate</c>); 0: as fast as the publisher goes.</summary>
    public double PublishRate { get; init; }

    public List<double> Rates { get; } = [];

    public List<long> Delivered { get; } = [];

    /// <summary>Deliveries that reached a client whose watch they did not match (must stay 0).</summary>
    public List<long> Misrouted { get; } = [];

    /// <summary>CPU µs of the bridge process per message; NaN for Web-STOMP (no bridge).</summary>
    public List<double> BridgeCpuMicrosPerMessage { get; } = [];

    /// <summary>CPU µs of the RabbitMQ node per message.</summary>
    public List<double> NodeCpuMicrosPerMessage { get; } = [];

    /// <summary>The 1-minute load average when each repetition started.</summary>
    public List<string> Load { get; } = [];

    public double MedianRate => BenchResults.Median(Rates);

    public double MedianBridgeCpu => BenchResults.Median(BridgeCpuMicrosPerMessage);

    public double MedianNodeCpu => BenchResults.Median(NodeCpuMicrosPerMessage);

    /// <summary>The whole path's CPU per message: the bridge's plus its node's (for Web-STOMP, the node's alone).</summary>
    public double MedianTotalCpu => BenchResults.Median(BridgeCpuMicrosPerMessage.Zip(NodeCpuMicrosPerMessage, (b, n) => double.IsNaN(b) ? n : b + n));

    public bool Complete => Delivered.All(d => d == Messages) && Misrouted.All(m => m == 0);
}
