namespace Bridge.Bench;

/// <summary>Issue 17 §3: idle connections, each watching, spread over several client processes; one entry per repetition in each list.</summary>
public sealed record ManyConnectionsResult(int Connections, int ClientProcesses, int Messages)
{
    /// <summary>Resident set growth of the bridge / connections, after they are all connected and settled.</summary>
    public List<double> BytesPerConnection { get; } = [];

    /// <summary>From telling the client processes to connect to the last one's watch being live.</summary>
    public List<double> AcceptSeconds { get; } = [];

    /// <summary>Publish-to-receive times of every delivery to every connection.</summary>
    public List<LatencySummary> Deliveries { get; } = [];

    public List<long> Delivered { get; } = [];

    public long Expected => (long)Connections * Messages;

    public double MedianBytesPerConnection => BenchResults.Median(BytesPerConnection);

    public double MedianAcceptSeconds => BenchResults.Median(AcceptSeconds);

    public double DeliveryP99 => BenchResults.Median(Deliveries.Select(d => d.P99Ms));

    public bool Complete => Delivered.All(d => d == Expected);
}
