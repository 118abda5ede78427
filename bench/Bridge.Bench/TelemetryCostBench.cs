using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// Issue 15's figure: the bridge's fan-out throughput with OpenTelemetry's metrics and tracing on
/// (<c>Bridge:Tracing:Enabled=true</c>, metrics on as by default) beside off (<c>Bridge:Metrics:Enabled=false</c>,
/// <c>Bridge:Tracing:Enabled=false</c>): a fresh bridge for each, the same subscribers, payload and message count,
/// the two measured in alternation so that the machine's drift falls on both.
/// </summary>
public static class TelemetryCostBench
{
    public static readonly string[] On = ["--Bridge:Metrics:Enabled=true", "--Bridge:Tracing:Enabled=true"];
    public static readonly string[] Off = ["--Bridge:Metrics:Enabled=false", "--Bridge:Tracing:Enabled=false"];

    public static string Markdown(IReadOnlyList<TelemetryCostResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("#### Fan-out throughput with OpenTelemetry metrics and tracing on beside off (deliveries per second)");
        text.AppendLine();
        text.AppendLine("| subscribers | payload | messages | on | off | on / off | server CPU µs/delivery on / off | repetitions on; off |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var on = BenchResults.Median(r.OnRates);
            var off = BenchResults.Median(r.OffRates);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Subscribers:N0} | {r.Size} B | {r.Messages:N0} | {on:N0} | {off:N0} | {on / off:F2}× | {BenchResults.Median(r.OnCpu):F2} / {BenchResults.Median(r.OffCpu):F2} | {string.Join(", ", r.OnRates.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))}; {string.Join(", ", r.OffRates.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} |");
        }

        return text.ToString();
    }
}

/// <summary>One subscriber count and size: the rates and server CPU of every repetition, on and off.</summary>
public sealed record TelemetryCostResult(int Subscribers, int Size, int Messages)
{
    public List<double> OnRates { get; } = [];

    public List<double> OffRates { get; } = [];

    public List<double> OnCpu { get; } = [];

    public List<double> OffCpu { get; } = [];
}
