using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>Issue 17 §3 in the report: memory per connection, time to accept them all, and the deliveries' p99.</summary>
public static class ManyConnectionsReport
{
    /// <summary>The issue's target for memory per idle, watching connection.</summary>
    public const double TargetBytesPerConnection = 20 * 1024;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder md, BenchResults results)
    {
        if (results.ManyConnections is not { } many)
        {
            return;
        }

        md.AppendLine(Invariant, $"### {many.Connections:N0} idle connections, each watching (clients in {many.ClientProcesses} processes)");
        md.AppendLine();
        md.AppendLine("| connections | bridge KB per connection | time to accept them all (s) | messages to all | delivered | deliveries p50 / p99 / max (ms) | repetitions (KB; s) |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        var p50 = BenchResults.Median(many.Deliveries.Select(d => d.P50Ms));
        var max = BenchResults.Median(many.Deliveries.Select(d => d.MaxMs));
        var reps = string.Join(", ", many.BytesPerConnection.Zip(many.AcceptSeconds, (b, s) => string.Create(Invariant, $"{b / 1024:F1}; {s:F1}")));
        md.AppendLine(Invariant,
            $"| {many.Connections:N0} | {many.MedianBytesPerConnection / 1024:F1} | {many.MedianAcceptSeconds:F1} | {many.Messages} | {string.Join(", ", many.Delivered)} of {many.Expected:N0} | {p50:F1} / {many.DeliveryP99:F1} / {max:F1} | {reps} |");
        md.AppendLine();
    }

    public static IEnumerable<(string Target, string Measured, bool Met)> Targets(BenchResults results)
    {
        if (results.ManyConnections is not { } many)
        {
            yield break;
        }

        yield return ($"≤ 20 KB per idle connection at {many.Connections:N0}",
            string.Create(Invariant, $"{many.MedianBytesPerConnection / 1024:F1} KB"), many.MedianBytesPerConnection <= TargetBytesPerConnection);
        yield return ($"a message reaches every one of {many.Connections:N0} connections",
            string.Create(Invariant, $"{string.Join(", ", many.Delivered)} of {many.Expected:N0}; p99 {many.DeliveryP99:F1} ms"), many.Complete);
    }
}
