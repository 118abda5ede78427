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

    public List<MemoryResult> Memory { get; } = [];

    public List<QueryResult> Queries { get; } = [];

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

public sealed record QueryResult(string Path, string Operation, List<LatencySummary> Reps)
{
    public double P50 => BenchResults.Median(Reps.Select(r => r.P50Ms));

    public double P99 => BenchResults.Median(Reps.Select(r => r.P99Ms));
}
