using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// Issue 16's cost figure: the bridge's fan-out throughput on RabbitMQ with plain watches (fed by the instance's own
/// queue) and with <c>"recover": true</c> (fed by the exchange's recovery stream, one reader per instance, each frame
/// carrying its position): a fresh bridge for each, the same subscribers, payload and message count. The target is
/// at least 0.8× of off at 200 subscribers.
/// </summary>
public static class RecoveryCostBench
{
    public const string Off = "off";
    public const string On = "on";

    public static string Name(bool recover) => recover ? On : Off;

    public static string Markdown(IReadOnlyList<RecoveryCostResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("#### Fan-out throughput with plain watches (recovery off) and with \"recover\": true (deliveries per second)");
        text.AppendLine();
        text.AppendLine("| subscribers | payload | messages | recovery | deliveries/s | / off | server CPU µs/delivery | repetitions |");
        text.AppendLine("|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var off = BenchResults.Median(r.Rates[Off]);
            foreach (var name in new[] { Off, On })
            {
                var rates = r.Rates[name];
                var rate = BenchResults.Median(rates);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Subscribers:N0} | {r.Size} B | {r.Messages:N0} | {name} | {rate:N0} | {rate / off:F2}× | {BenchResults.Median(r.Cpu[name]):F2} | {string.Join(", ", rates.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} |");
            }
        }

        return text.ToString();
    }
}

/// <summary>One subscriber count and size: the rates and server CPU of every repetition, recovery off and on.</summary>
public sealed record RecoveryCostResult(int Subscribers, int Size, int Messages)
{
    public Dictionary<string, List<double>> Rates { get; } = new() { [RecoveryCostBench.Off] = [], [RecoveryCostBench.On] = [] };

    public Dictionary<string, List<double>> Cpu { get; } = new() { [RecoveryCostBench.Off] = [], [RecoveryCostBench.On] = [] };
}
