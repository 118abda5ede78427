using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// The bridge beside a build of itself from before a change (<c>--baseline-bridge</c>), fan-out row for row, in the
/// same run: issue 13 asks that throughput at 200 subscribers be not lower after the split than before it.
/// </summary>
public static class BaselineReport
{
    // Repetitions of one build spread by several percent on two shared cores; a smaller difference is not a finding.
    private const double Tolerance = 0.05;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchResults results)
    {
        var before = results.Throughput.Where(t => t.System == SystemKind.BridgeBefore).ToList();
        if (before.Count == 0)
        {
            return;
        }

        md.AppendLine("### The bridge beside its build from before the change (--baseline-bridge)");
        md.AppendLine();
        md.AppendLine("| row | now (deliveries/s, range) | before (deliveries/s, range) | now / before | server CPU µs/delivery: now / before |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var old in before.OrderBy(t => t.Size).ThenBy(t => t.Subscribers))
        {
            var now = Now(results, old);
            md.AppendLine(Invariant,
                $"| {old.Subscribers:N0} subscribers, {old.Size} B | {Rate(now)} | {Rate(old)} | {ReportCells.Factor(now?.MedianRate, old.MedianRate)} | {ReportCells.Cpu(now)} / {ReportCells.Cpu(old)} |");
        }

        md.AppendLine();
    }

    /// <summary>Issue 13's check: throughput at 200 subscribers not lower than before (within the repetitions' spread).</summary>
    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        foreach (var old in results.Throughput.Where(t => t.System == SystemKind.BridgeBefore && t.Subscribers == 200).OrderBy(t => t.Size))
        {
            if (Now(results, old) is { } now)
            {
                yield return (string.Create(Invariant, $"throughput at 200 subscribers, {old.Size} B, not lower than before the change (within {Tolerance:P0})"),
                    string.Create(Invariant, $"{now.MedianRate:N0} vs {old.MedianRate:N0}/s ({now.MedianRate / old.MedianRate:F2}×)"),
                    now.MedianRate >= old.MedianRate * (1 - Tolerance));
            }
        }
    }

    private static ThroughputResult? Now(BenchResults results, ThroughputResult old) =>
        results.Throughput.FirstOrDefault(t => t.System == SystemKind.Bridge && t.Subscribers == old.Subscribers && t.Size == old.Size);

    private static string Rate(ThroughputResult? result) =>
        result is null ? "–" : string.Create(Invariant, $"{result.MedianRate:N0} ({result.Rates.Min():N0}–{result.Rates.Max():N0})") + (result.Complete ? "" : " incomplete");
}
