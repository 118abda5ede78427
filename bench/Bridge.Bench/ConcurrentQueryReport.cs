using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>Issue 17 §4 in the report: concurrent queries through the bridge beside the store called directly.</summary>
public static class ConcurrentQueryReport
{
    /// <summary>The issue's target: the bridge's throughput at least this share of the store's own.</summary>
    public const double TargetShare = 0.8;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchResults results)
    {
        if (results.ConcurrentQueries.Count == 0)
        {
            return;
        }

        md.AppendLine("### Concurrent queries (clients issuing requests back to back, one in flight each; 1 000 documents)");
        md.AppendLine();
        md.AppendLine("| store | operation | clients | through the bridge: queries/s, p50 / p99 ms | store called directly: queries/s, p50 / p99 ms | bridge / direct |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var (bridge, direct) in Pairs(results))
        {
            md.AppendLine(Invariant,
                $"| {(bridge.Store == "mongodb" ? "MongoDB" : "embedded")} | {bridge.Operation} | {bridge.Clients} | {Figure(bridge)} | {Figure(direct)} | {bridge.QueriesPerSecond / direct.QueriesPerSecond:F2}× |");
        }

        md.AppendLine();
    }

    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        foreach (var (bridge, direct) in Pairs(results))
        {
            var share = bridge.QueriesPerSecond / direct.QueriesPerSecond;
            yield return ($"{(bridge.Store == "mongodb" ? "MongoDB" : "embedded")} {bridge.Operation}, {bridge.Clients} clients: bridge ≥ {TargetShare:F1}× the store's queries/s",
                string.Create(Invariant, $"{bridge.QueriesPerSecond:N0} vs {direct.QueriesPerSecond:N0}/s = {share:F2}×"), share >= TargetShare);
        }
    }

    private static IEnumerable<(ConcurrentQueryResult Bridge, ConcurrentQueryResult Direct)> Pairs(BenchResults results) =>
        from bridge in results.ConcurrentQueries.Where(q => q.Path == "bridge")
        let direct = results.ConcurrentQueries.FirstOrDefault(q => q.Path == "store" && q.Store == bridge.Store && q.Operation == bridge.Operation)
        where direct is not null
        select (bridge, direct);

    private static string Figure(ConcurrentQueryResult result)
    {
        var p50 = BenchResults.Median(result.Reps.Select(r => r.P50Ms));
        return string.Create(Invariant, $"{result.QueriesPerSecond:N0}, {p50:F2} / {result.P99:F2}");
    }
}
