using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>The results as markdown tables (with the targets checked) and as an SVG chart.</summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Markdown(BenchResults results)
    {
        var md = new StringBuilder();
        md.AppendLine(Invariant, $"Run: `{results.CommandLine}`  ");
        md.AppendLine(Invariant, $"Machine: {results.Machine}; {results.Runtime}  ");
        md.AppendLine(Invariant, $"From {results.StartedUtc} (load average {results.LoadAtStart}) to {results.FinishedUtc} (load average {results.LoadAtEnd}). Every figure is the median of the repetitions.");
        md.AppendLine();

        if (results.Throughput.Count > 0)
        {
            md.AppendLine("### Fan-out throughput (deliveries per second, first publish to last receipt)");
            md.AppendLine();
            md.AppendLine("| subscribers | payload | messages | bridge | Web-STOMP | ceiling | bridge / ceiling | bridge / Web-STOMP | server CPU µs/delivery: bridge / RabbitMQ+Web-STOMP / ceiling |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var group in results.Throughput.GroupBy(t => (t.Subscribers, t.Size)).OrderBy(g => g.Key.Size).ThenBy(g => g.Key.Subscribers))
            {
                var bridge = Find(group, SystemKind.Bridge);
                var stomp = Find(group, SystemKind.WebStomp);
                var ceiling = Find(group, SystemKind.Ceiling);
                md.AppendLine(Invariant,
                    $"| {group.Key.Subscribers:N0} | {Size(group.Key.Size)} | {group.First().Messages:N0} | {Rate(bridge)} | {Rate(stomp)} | {Rate(ceiling)} | {Ratio(bridge, ceiling, percent: true)} | {Ratio(bridge, stomp, percent: false)} | {ReportCells.Cpu(bridge)} / {ReportCells.Cpu(stomp)} / {ReportCells.Cpu(ceiling)} |");
            }

            md.AppendLine();
        }

        if (results.Latency.Count > 0)
        {
            md.AppendLine("### Publish-to-receive latency at a fixed delivery rate (ms)");
            md.AppendLine();
            md.AppendLine("| subscribers | payload | deliveries/s | bridge p50 / p99 / max | Web-STOMP p50 / p99 / max | ceiling p50 / p99 / max | bridge p99 / ceiling p99 | RabbitMQ hop alone p50 / p99 / max |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var group in results.Latency.GroupBy(l => (l.Subscribers, l.Size)).OrderBy(g => g.Key.Size).ThenBy(g => g.Key.Subscribers))
            {
                var bridge = group.FirstOrDefault(l => l.System == SystemKind.Bridge);
                var stomp = group.FirstOrDefault(l => l.System == SystemKind.WebStomp);
                var ceiling = group.FirstOrDefault(l => l.System == SystemKind.Ceiling);
                var ratio = bridge is not null && ceiling is not null ? (bridge.P99 / ceiling.P99).ToString("F2", Invariant) + "×" : "–";
                var hop = results.BrokerHop.FirstOrDefault(h => h.Subscribers == group.Key.Subscribers && h.Size == group.Key.Size);
                md.AppendLine(Invariant,
                    $"| {group.Key.Subscribers:N0} | {Size(group.Key.Size)} | {group.First().DeliveriesPerSecond:N0} | {Latency(bridge)} | {Latency(stomp)} | {Latency(ceiling)} | {ratio} | {Latency(hop)} |");
            }

            md.AppendLine();
        }

        if (results.Memory.Count > 0)
        {
            md.AppendLine("### Memory per idle connection (resident set growth / connections; each connection subscribed)");
            md.AppendLine();
            md.AppendLine("| system | connections | KB per connection | repetitions (KB) |");
            md.AppendLine("|---|---:|---:|---|");
            foreach (var memory in results.Memory)
            {
                md.AppendLine(Invariant,
                    $"| {Name(memory.System)} | {memory.Connections:N0} | {memory.Median / 1024:F1} | {string.Join(", ", memory.BytesPerConnection.Select(b => (b / 1024).ToString("F1", Invariant)))} |");
            }

            md.AppendLine();
        }

        if (results.Queries.Count > 0)
        {
            md.AppendLine("### Query latency (ms, sequential round trips on one connection; 1 000 documents)");
            md.AppendLine();
            md.AppendLine("| store | operation | through the bridge p50 / p99 | store called directly p50 / p99 | bridge's share of the p50 |");
            md.AppendLine("|---|---|---:|---:|---:|");
            foreach (var (storeName, operation) in results.Queries.Select(q => (q.Store, q.Operation)).Distinct())
            {
                var bridge = results.Queries.First(q => q.Store == storeName && q.Operation == operation && q.Path == "bridge");
                var store = results.Queries.First(q => q.Store == storeName && q.Operation == operation && q.Path == "store");
                md.AppendLine(Invariant,
                    $"| {(storeName == "mongodb" ? "MongoDB" : "embedded")} | {operation} | {bridge.P50:F3} / {bridge.P99:F3} | {store.P50:F3} / {store.P99:F3} | {bridge.P50 - store.P50:+0.000;-0.000} |");
            }

            md.AppendLine();
            if (results.MongoServer.Length > 0)
            {
                md.AppendLine(Invariant, $"MongoDB figures: {results.MongoServer}.");
                md.AppendLine();
            }
        }

        DistinctWatchReport.AppendMarkdown(md, results);
        PeerReport.Append(md, results);
        BaselineReport.Append(md, results);
        ConcurrentQueryReport.Append(md, results);
        ManyConnectionsReport.Append(md, results);

        var targets = Targets(results).Concat(DistinctWatchReport.Targets(results)).ToList();
        if (targets.Count > 0)
        {
            md.AppendLine("### Targets (200 B payloads)");
            md.AppendLine();
            md.AppendLine("| target | measured | met |");
            md.AppendLine("|---|---:|:---:|");
            foreach (var (target, measured, met) in targets)
            {
                md.AppendLine(Invariant, $"| {target} | {measured} | {(met ? "yes" : "**no**")} |");
            }

            md.AppendLine();
        }

        foreach (var note in results.Notes.Distinct())
        {
            md.AppendLine(Invariant, $"- {note}");
        }

        return md.ToString();
    }

    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        foreach (var subscribers in new[] { 200, 1000 })
        {
            var group = results.Throughput.Where(t => t.Subscribers == subscribers && t.Size == 200).ToList();
            var bridge = Find(group, SystemKind.Bridge);
            var ceiling = Find(group, SystemKind.Ceiling);
            var stomp = Find(group, SystemKind.WebStomp);
            if (bridge is not null && ceiling is not null)
            {
                var share = bridge.MedianRate / ceiling.MedianRate;
                yield return ($"throughput ≥ 60 % of the ceiling at {subscribers} subscribers", share.ToString("P0", Invariant), share >= 0.6);
            }

            if (bridge is not null && stomp is not null)
            {
                var factor = bridge.MedianRate / stomp.MedianRate;
                yield return ($"throughput ≥ 8× Web-STOMP at {subscribers} subscribers", factor.ToString("F1", Invariant) + "×", factor >= 8);
            }
        }

        foreach (var group in results.Latency.Where(l => l.Size == 200).GroupBy(l => l.Subscribers))
        {
            var bridge = group.FirstOrDefault(l => l.System == SystemKind.Bridge);
            var ceiling = group.FirstOrDefault(l => l.System == SystemKind.Ceiling);
            if (bridge is not null && ceiling is not null)
            {
                var ratio = bridge.P99 / ceiling.P99;
                yield return ($"p99 at {bridge.DeliveriesPerSecond:N0} deliveries/s ≤ 1.5× the ceiling's ({group.Key} subscribers)",
                    $"{bridge.P99:F2} ms vs {ceiling.P99:F2} ms = {ratio:F2}×", ratio <= 1.5);

                // Issue 17 §5, the target restated: the bridge's path includes the RabbitMQ hop, which the ceiling's does not.
                if (results.BrokerHop.FirstOrDefault(h => h.Subscribers == group.Key && h.Size == 200) is { } hop)
                {
                    var budget = 1.5 * (ceiling.P99 + hop.P99);
                    yield return ($"p99 ≤ 1.5 × (ceiling p99 + RabbitMQ hop p99) ({group.Key} subscribers)",
                        $"{bridge.P99:F2} ms vs 1.5 × ({ceiling.P99:F2} + {hop.P99:F2}) = {budget:F2} ms", bridge.P99 <= budget);
                }
            }
        }

        var memory = results.Memory.FirstOrDefault(m => m.System == SystemKind.Bridge);
        if (memory is not null)
        {
            yield return ("≤ 30 KB per idle connection", $"{memory.Median / 1024:F1} KB", memory.Median <= 30 * 1024);
        }

        foreach (var target in PeerReport.Targets(results).Concat(BaselineReport.Targets(results)).Concat(ManyConnectionsReport.Targets(results)).Concat(ConcurrentQueryReport.Targets(results)))
        {
            yield return target;
        }
    }

    /// <summary>Grouped bars per subscriber count, one panel per payload size, log-scaled deliveries per second.</summary>
    public static string Chart(BenchResults results)
    {
        var sizes = results.Throughput.Select(t => t.Size).Distinct().Order().ToList();
        var counts = results.Throughput.Select(t => t.Subscribers).Distinct().Order().ToList();
        var systems = new[] { SystemKind.Bridge, SystemKind.WebStomp, SystemKind.Ceiling, SystemKind.SignalR };
        var colors = new Dictionary<SystemKind, string> { [SystemKind.Bridge] = "#1f77b4", [SystemKind.WebStomp] = "#ff7f0e", [SystemKind.Ceiling] = "#7f7f7f", [SystemKind.SignalR] = "#2ca02c" };
        const int PanelWidth = 560, PanelHeight = 340, Left = 70, Top = 50, PlotHeight = 230;
        var width = Math.Max(760, sizes.Count * PanelWidth);
        var height = PanelHeight + 40;
        var rates = results.Throughput.Select(t => t.MedianRate).Where(r => r > 0 && !double.IsNaN(r)).DefaultIfEmpty(1).ToList();
        var minExp = Math.Floor(Math.Log10(rates.Min()));
        var maxExp = Math.Ceiling(Math.Log10(rates.Max()));
        if (maxExp <= minExp)
        {
            maxExp = minExp + 1;
        }

        double Y(double rate) => Top + PlotHeight - ((Math.Log10(rate) - minExp) / (maxExp - minExp) * PlotHeight);

        var svg = new StringBuilder();
        svg.AppendLine(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif" font-size="12">""");
        svg.AppendLine(Invariant, $"""<rect width="{width}" height="{height}" fill="white"/>""");
        svg.AppendLine(Invariant, $"""<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Fan-out throughput, deliveries/s (log scale), {results.Cores} cores</text>""");
        for (var p = 0; p < sizes.Count; p++)
        {
            var x0 = (p * PanelWidth) + Left;
            var plotWidth = PanelWidth - Left - 20;
            svg.AppendLine(Invariant, $"""<text x="{x0 + (plotWidth / 2)}" y="{Top - 8}" text-anchor="middle" font-weight="bold">{Size(sizes[p])} payload</text>""");
            for (var e = minExp; e <= maxExp; e++)
            {
                var y = Y(Math.Pow(10, e));
                svg.AppendLine(Invariant, $"""<line x1="{x0}" x2="{x0 + plotWidth}" y1="{y:F1}" y2="{y:F1}" stroke="#ddd"/>""");
                svg.AppendLine(Invariant, $"""<text x="{x0 - 6}" y="{y + 4:F1}" text-anchor="end">{Math.Pow(10, e):N0}</text>""");
            }

            svg.AppendLine(Invariant, $"""<line x1="{x0}" x2="{x0}" y1="{Top}" y2="{Top + PlotHeight}" stroke="#333"/>""");
            svg.AppendLine(Invariant, $"""<line x1="{x0}" x2="{x0 + plotWidth}" y1="{Top + PlotHeight}" y2="{Top + PlotHeight}" stroke="#333"/>""");
            var groupWidth = plotWidth / (double)Math.Max(1, counts.Count);
            var barWidth = groupWidth * 0.8 / systems.Length;
            for (var c = 0; c < counts.Count; c++)
            {
                var gx = x0 + (c * groupWidth) + (groupWidth * 0.1);
                for (var s = 0; s < systems.Length; s++)
                {
                    var result = results.Throughput.FirstOrDefault(t => t.Size == sizes[p] && t.Subscribers == counts[c] && t.System == systems[s]);
                    if (result is null || double.IsNaN(result.MedianRate) || result.MedianRate <= 0)
                    {
                        continue;
                    }

                    var y = Y(result.MedianRate);
                    svg.AppendLine(Invariant,
                        $"""<rect x="{gx + (s * barWidth):F1}" y="{y:F1}" width="{barWidth - 1:F1}" height="{Top + PlotHeight - y:F1}" fill="{colors[systems[s]]}"/>""");
                }

                svg.AppendLine(Invariant, $"""<text x="{gx + (groupWidth * 0.4):F1}" y="{Top + PlotHeight + 16}" text-anchor="middle">{counts[c]:N0}</text>""");
            }

            svg.AppendLine(Invariant, $"""<text x="{x0 + (plotWidth / 2)}" y="{Top + PlotHeight + 34}" text-anchor="middle">subscribers</text>""");
        }

        for (var s = 0; s < systems.Length; s++)
        {
            var lx = 80 + (s * 170);
            var ly = height - 22;
            svg.AppendLine(Invariant, $"""<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colors[systems[s]]}"/>""");
            svg.AppendLine(Invariant, $"""<text x="{lx + 18}" y="{ly}">{Name(systems[s])}</text>""");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static ThroughputResult? Find(IEnumerable<ThroughputResult> group, SystemKind system) => group.FirstOrDefault(t => t.System == system);

    private static string Name(SystemKind system) => system switch
    {
        SystemKind.Bridge => "bridge",
        SystemKind.WebStomp => "Web-STOMP",
        SystemKind.SignalR => "SignalR peer",
        _ => "ceiling (Kestrel, no broker)",
    };

    private static string Size(int bytes) => bytes % 1024 == 0 ? $"{bytes / 1024} KB" : $"{bytes} B";

    private static string Rate(ThroughputResult? result) =>
        result is null ? "–" : result.MedianRate.ToString("N0", Invariant) + (result.Complete ? "" : " (incomplete)");

    private static string Ratio(ThroughputResult? numerator, ThroughputResult? denominator, bool percent) =>
        numerator is null || denominator is null
            ? "–"
            : percent
                ? (numerator.MedianRate / denominator.MedianRate).ToString("P0", Invariant)
                : (numerator.MedianRate / denominator.MedianRate).ToString("F1", Invariant) + "×";

    private static string Latency(LatencyResult? result) =>
        result is null ? "–" : string.Create(Invariant, $"{result.P50:F2} / {result.P99:F2} / {result.Max:F2}");
}
