using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>The bridge beside the .NET peer (SignalR + RabbitMQ), row for row (issue 17 §2).</summary>
public static class PeerReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchResults results)
    {
        var peerThroughput = results.Throughput.Where(t => t.System == SystemKind.SignalR).ToList();
        var peerLatency = results.Latency.Where(l => l.System == SystemKind.SignalR).ToList();
        var peerMemory = results.Memory.FirstOrDefault(m => m.System == SystemKind.SignalR);
        if (peerThroughput.Count == 0 && peerLatency.Count == 0 && peerMemory is null)
        {
            return;
        }

        md.AppendLine("### The .NET peer: SignalR hub + RabbitMQ consumer, beside the bridge");
        md.AppendLine();
        md.AppendLine("| row | bridge | SignalR peer | bridge / peer (throughput: higher is better; latency, memory: lower) | server CPU µs/delivery: bridge / peer |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var peer in peerThroughput.OrderBy(t => t.Size).ThenBy(t => t.Subscribers))
        {
            var bridge = BridgeThroughput(results, peer.Subscribers, peer.Size);
            md.AppendLine(Invariant,
                $"| throughput, {peer.Subscribers:N0} subscribers, {peer.Size} B (deliveries/s) | {Rate(bridge)} | {Rate(peer)} | {ReportCells.Factor(bridge?.MedianRate, peer.MedianRate)} | {ReportCells.Cpu(bridge)} / {ReportCells.Cpu(peer)} |");
        }

        foreach (var peer in peerLatency.OrderBy(l => l.Subscribers))
        {
            var bridge = BridgeLatency(results, peer.Subscribers, peer.Size);
            md.AppendLine(Invariant,
                $"| latency p50 / p99 / max, {peer.Subscribers:N0} subscribers at {peer.DeliveriesPerSecond:N0} deliveries/s (ms) | {Latency(bridge)} | {Latency(peer)} | p99 {ReportCells.Factor(bridge?.P99, peer.P99)} | |");
        }

        if (peerMemory is not null)
        {
            var bridge = results.Memory.FirstOrDefault(m => m.System == SystemKind.Bridge);
            md.AppendLine(Invariant,
                $"| memory per idle connection, {peerMemory.Connections:N0} connections (KB) | {Kb(bridge)} | {Kb(peerMemory)} | {ReportCells.Factor(bridge?.Median, peerMemory.Median)} | |");
        }

        md.AppendLine();
    }

    /// <summary>Issue 17 §2's target: the bridge ahead of the peer on every row.</summary>
    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        foreach (var peer in results.Throughput.Where(t => t.System == SystemKind.SignalR && t.Size == 200 && t.Subscribers > 1).OrderBy(t => t.Subscribers))
        {
            if (BridgeThroughput(results, peer.Subscribers, peer.Size) is { } bridge)
            {
                yield return ($"throughput above the SignalR peer's at {peer.Subscribers:N0} subscribers",
                    $"{bridge.MedianRate:N0} vs {peer.MedianRate:N0}/s", bridge.MedianRate > peer.MedianRate);
            }
        }

        foreach (var peer in results.Latency.Where(l => l.System == SystemKind.SignalR && l.Size == 200).OrderBy(l => l.Subscribers))
        {
            if (BridgeLatency(results, peer.Subscribers, peer.Size) is { } bridge)
            {
                yield return ($"p99 below the SignalR peer's at {peer.Subscribers:N0} subscribers, {peer.DeliveriesPerSecond:N0} deliveries/s",
                    string.Create(Invariant, $"{bridge.P99:F2} vs {peer.P99:F2} ms"), bridge.P99 < peer.P99);
            }
        }

        var peerMemory = results.Memory.FirstOrDefault(m => m.System == SystemKind.SignalR);
        var bridgeMemory = results.Memory.FirstOrDefault(m => m.System == SystemKind.Bridge);
        if (peerMemory is not null && bridgeMemory is not null)
        {
            yield return ("memory per idle connection below the SignalR peer's",
                string.Create(Invariant, $"{bridgeMemory.Median / 1024:F1} vs {peerMemory.Median / 1024:F1} KB"), bridgeMemory.Median < peerMemory.Median);
        }
    }

    private static ThroughputResult? BridgeThroughput(BenchResults results, int subscribers, int size) =>
        results.Throughput.FirstOrDefault(t => t.System == SystemKind.Bridge && t.Subscribers == subscribers && t.Size == size);

    private static LatencyResult? BridgeLatency(BenchResults results, int subscribers, int size) =>
        results.Latency.FirstOrDefault(l => l.System == SystemKind.Bridge && l.Subscribers == subscribers && l.Size == size);

    private static string Rate(ThroughputResult? result) =>
        result is null ? "–" : result.MedianRate.ToString("N0", Invariant) + (result.Complete ? "" : " (incomplete)");

    private static string Latency(LatencyResult? result) =>
        result is null ? "–" : string.Create(Invariant, $"{result.P50:F2} / {result.P99:F2} / {result.Max:F2}");

    private static string Kb(MemoryResult? result) => result is null ? "–" : (result.Median / 1024).ToString("F1", Invariant);
}
