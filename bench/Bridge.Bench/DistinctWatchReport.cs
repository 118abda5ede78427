using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>The distinct-watch rows (issue 17 §1) as a markdown table, and their targets checked.</summary>
public static class DistinctWatchReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void AppendMarkdown(StringBuilder md, BenchResults results)
    {
        if (results.DistinctWatches.Count == 0)
        {
            return;
        }

        md.AppendLine("### Distinct watches: N clients, each watching its own node; one recipient per message");
        md.AppendLine();
        md.AppendLine("| variant | N | system | deliveries/s | CPU µs/message: server | + its RabbitMQ node = whole path | complete | load at each repetition |");
        md.AppendLine("|---|---:|---|---:|---:|---:|---|---|");
        foreach (var result in results.DistinctWatches.OrderBy(r => r.Variant).ThenBy(r => r.Watches).ThenBy(r => r.System, StringComparer.Ordinal))
        {
            var server = double.IsNaN(result.MedianBridgeCpu) ? result.MedianNodeCpu : result.MedianBridgeCpu;
            var node = double.IsNaN(result.MedianBridgeCpu) ? "–" : result.MedianNodeCpu.ToString("F1", Invariant);
            md.AppendLine(Invariant,
                $"| {Variant(result.Variant)} | {result.Watches:N0} | {result.System} | {result.MedianRate:N0} | {server:F1} | {node} = {result.MedianTotalCpu:F1} | {(result.Complete ? "yes" : $"**no** ({string.Join(", ", result.Delivered)} of {result.Messages}, misrouted {string.Join(", ", result.Misrouted)})")} | {string.Join("; ", result.Load)} |");
        }

        md.AppendLine();
        md.AppendLine("For Web-STOMP the server is the RabbitMQ node itself. Catalogs have no Web-STOMP row: STOMP cannot filter on a body field.");
        if (results.DistinctWatches.FirstOrDefault(r => r.PublishRate > 0) is { } pacedRow)
        {
            md.AppendLine();
            md.AppendLine(Invariant, $"\"{pacedRow.System}\" rows: the same clients and server right after the fast rows, publishing at {pacedRow.PublishRate:0}/s instead of as fast as the publisher goes, so that every N runs at the same rate.");
        }

        if (results.DistinctWatches.Any(r => r.System == DistinctWatchBench.WithoutHistory))
        {
            md.AppendLine();
            md.AppendLine($"\"{DistinctWatchBench.WithoutHistory}\": the same build with `Bridge:Recovery:Exchanges:0=on.test`, so that no recovery stream is bound to `on.logging` or `on.waterline` (by default every channel exchange keeps one, and RabbitMQ writes each message there too).");
        }
        md.AppendLine();
    }

    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        var bridge = results.DistinctWatches.Where(r => r.System == "bridge").ToList();
        foreach (var result in bridge)
        {
            yield return ($"bridge CPU ≤ 20 µs per message with one recipient ({Variant(result.Variant)}, N = {result.Watches:N0})",
                $"{result.MedianBridgeCpu:F1} µs", result.MedianBridgeCpu <= 20);
        }

        // The growth as fast as each N goes, and (given --distinct-rate) at one rate for every N.
        var paced = results.DistinctWatches.Where(r => r.PublishRate > 0 && r.System == DistinctWatchBench.Paced("bridge", r.PublishRate)).ToList();
        foreach (var (rows, suffix) in new[] { (bridge, string.Empty), (paced, paced.Count > 0 ? string.Create(Invariant, $", at {paced[0].PublishRate:0}/s") : string.Empty) })
        {
            foreach (var variant in rows.Select(r => r.Variant).Distinct())
            {
                var ordered = rows.Where(r => r.Variant == variant).OrderBy(r => r.Watches).ToList();
                if (ordered.Count >= 2)
                {
                    var growth = ordered[^1].MedianBridgeCpu / ordered[0].MedianBridgeCpu;
                    yield return ($"bridge CPU per message grows ≤ 1.3× from N = {ordered[0].Watches:N0} to {ordered[^1].Watches:N0} ({Variant(variant)}{suffix})",
                        $"{ordered[0].MedianBridgeCpu:F1} → {ordered[^1].MedianBridgeCpu:F1} µs = {growth:F2}×", growth <= 1.3);
                }
            }
        }

        // The shipped default first; then, given --distinct-without-history, the same checks on a bridge that keeps
        // no recovery stream for these exchanges, named as such so that the two are never read as one.
        foreach (var (system, suffix) in new[] { ("bridge", string.Empty), (DistinctWatchBench.WithoutHistory, ", no recovery history") })
        {
            foreach (var result in results.DistinctWatches.Where(r => r.System == system && r.Variant == DistinctWatchVariant.Mq))
            {
                var stomp = results.DistinctWatches.FirstOrDefault(r => r.System == "webstomp" && r.Watches == result.Watches);
                if (stomp is null)
                {
                    continue;
                }

                var share = result.MedianTotalCpu / stomp.MedianTotalCpu;
                yield return ($"whole path (bridge + RabbitMQ) CPU ≤ 0.5× Web-STOMP's per message (N = {result.Watches:N0}{suffix})",
                    $"{result.MedianTotalCpu:F1} vs {stomp.MedianTotalCpu:F1} µs = {share:F2}×", share <= 0.5);
                var factor = result.MedianRate / stomp.MedianRate;
                yield return ($"deliveries/s ≥ Web-STOMP's (N = {result.Watches:N0}{suffix})",
                    $"{result.MedianRate:N0} vs {stomp.MedianRate:N0} = {factor:F2}×", factor >= 1);
            }
        }
    }

    private static string Variant(DistinctWatchVariant variant) => variant == DistinctWatchVariant.Mq ? "mq `<node>.#`" : "catalogs `{node}`";
}
