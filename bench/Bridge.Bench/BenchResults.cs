namespace Bridge.Bench;

/// <summary>Everything one run measured; every figure keeps its repetitions and reports their median.</summary>
public sealed class BenchResults
{
    public required string CommandLine { get; init; }

    public required int Cores { get; init; }

    public required string StartedUtc { get; init; }

    public string FinishedUtc { get; set; } = "";

    public required string LoadAtStart { get; init; }

    public string LoadAtEnd { get; set; } = "";

    public required string Runtime { get; init; }

    public required string Machine { get; init; }

    public List<ThroughputResult> Throughput { get; } = [];

    public List<LatencyResult> Latency { get; } = [];

    /// <summary>
    /// The RabbitMQ hop in the bridge's path, measured alone (<see cref="BrokerHop"/>) at the message rate of each
    /// bridge latency run; <see cref="LatencyResult.System"/> is the bridge's.
    /// </summary>
    public List<LatencyResult> BrokerHop { get; } = [];

    public List<MemoryResult> Memory { get; } = [];

    /// <summary>Issue 17 §1: N clients each watching their own node (<see cref="DistinctWatchBench"/>).</summary>
    public List<DistinctWatchResult> DistinctWatches { get; } = [];

    public List<QueryResult> Queries { get; } = [];

    /// <summary>Issue 17 §3: many idle connections over several client processes (<see cref="ManyConnectionsBench"/>).</summary>
    public ManyConnectionsResult? ManyConnections { get; set; }

    /// <summary>Issue 17 §4: concurrent clients issuing requests back to back (<see cref="ConcurrentQueryBench"/>).</summary>
    public List<ConcurrentQueryResult> ConcurrentQueries { get; } = [];

    /// <summary>What served the MongoDB queries (the stand-in, or the server given with --mongo-uri).</summary>
    public string MongoServer { get; set; } = "";

    public List<string> Notes { get; } = [];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

public sealed record ThroughputResult(SystemKind System, int Subscribers, int Size, int Messages, List<double> Rates, List<long> Delivered)
{
    /// <summary>CPU time of the server process (the bridge, the ceiling, or the whole RabbitMQ node for Web-STOMP) per delivery, in microseconds.</summary>
    public List<double> ServerCpuMicrosPerDelivery { get; } = [];

    public double MedianServerCpu => BenchResults.Median(ServerCpuMicrosPerDelivery);

    public long Expected => (long)Subscribers * Messages;

    public double MedianRate => BenchResults.Median(Rates);

    public bool Complete => Delivered.All(d => d == Expected);
}

public sealed record LatencyResult(SystemKind System, int Subscribers, int Size, double DeliveriesPerSecond, List<LatencySummary> Reps)
{
    public double P50 => BenchResults.Median(Reps.Select(r => r.P50Ms));

    public double P99 => BenchResults.Median(Reps.Select(r => r.P99Ms));

    public double Max => BenchResults.Median(Reps.Select(r => r.MaxMs));

    public int Samples => Reps.Sum(r => r.Samples);
}

public sealed record MemoryResult(SystemKind System, int Connections, List<double> BytesPerConnection)
{
    public double Median => BenchResults.Median(BytesPerConnection);
}

/// <param name="Store">What holds the collection: <c>embedded</c> or <c>mongodb</c>.</param>
/// <param name="Path"><c>bridge</c> (a WebSocket round trip) or <c>store</c> (the store called in the bench process).</param>
/// <param name="Operation"><c>get</c> or <c>query 100</c>.</param>
/// <param name="Reps">One latency summary per repetition.</param>
public sealed record QueryResult(string Store, string Path, string Operation, List<LatencySummary> Reps)
{
    public double P50 => BenchResults.Median(Reps.Select(r => r.P50Ms));

    public double P99 => BenchResults.Median(Reps.Select(r => r.P99Ms));
}
