using System.Globalization;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// Issue 15's figure: the bridge's fan-out throughput with OpenTelemetry off (<c>Bridge:Metrics:Enabled=false</c>,
/// <c>Bridge:Tracing:Enabled=false</c>), with metrics only (the default configuration) and with metrics and tracing
/// (<c>Bridge:Tracing:Enabled=true</c>): a fresh bridge for each, the same subscribers, payload and message count,
/// the three measured in turn in every repetition so that the machine's drift falls on all of them. Given
/// <c>--baseline-bridge</c>, metrics + tracing also runs on that build in the same rotation ("metrics+tracing before"),
/// so that a change's before and after come from one run.
/// </summary>
public static class TelemetryCostBench
{
    /// <summary>The configurations, in the order the report shows them; the first is what the others are divided by.</summary>
    public static readonly IReadOnlyList<TelemetryConfiguration> Configurations =
    [
        new("off", ["--Bridge:Metrics:Enabled=false", "--Bridge:Tracing:Enabled=false"]),
        new("metrics", ["--Bridge:Metrics:Enabled=true", "--Bridge:Tracing:Enabled=false"]),
        new("metrics+tracing", ["--Bridge:Metrics:Enabled=true", "--Bridge:Tracing:Enabled=true"]),
    ];

    /// <summary><see cref="Configurations"/>, and metrics + tracing on <paramref name="baselineBridge"/> when one is given.</summary>
    public static IReadOnlyList<TelemetryConfiguration> ConfigurationsFor(string? baselineBridge) =>
        baselineBridge is null
            ? Configurations
            : [.. Configurations, Configurations[^1] with { Name = Configurations[^1].Name + " before", BridgeDll = baselineBridge }];

    public static string Markdown(IReadOnlyList<TelemetryCostResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("#### Fan-out throughput with OpenTelemetry off, metrics only (the default) and metrics + tracing (deliveries per second)");
        text.AppendLine();
        text.AppendLine("| subscribers | payload | messages | configuration | deliveries/s | / off | server CPU µs/delivery | repetitions |");
        text.AppendLine("|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var off = BenchResults.Median(r.Rates[Configurations[0].Name]);
            foreach (var configuration in r.Configurations)
            {
                var rates = r.Rates[configuration.Name];
                var rate = BenchResults.Median(rates);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Subscribers:N0} | {r.Size} B | {r.Messages:N0} | {configuration.Name} | {rate:N0} | {rate / off:F2}× | {BenchResults.Median(r.Cpu[configuration.Name]):F2} | {string.Join(", ", rates.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} |");
            }
        }

        return text.ToString();
    }
}

/// <summary>
/// One telemetry configuration of the bridge: its name in the report, its command-line switches and, for a
/// baseline, the Bridge.dll it runs on (null: the build under test).
/// </summary>
public sealed record TelemetryConfiguration(string Name, IReadOnlyList<string> Arguments, string? BridgeDll = null);

/// <summary>One subscriber count and size: the rates and server CPU of every repetition, by configuration.</summary>
public sealed record TelemetryCostResult(int Subscribers, int Size, int Messages, IReadOnlyList<TelemetryConfiguration> Configurations)
{
    public Dictionary<string, List<double>> Rates { get; } = Configurations.ToDictionary(c => c.Name, _ => new List<double>());

    public Dictionary<string, List<double>> Cpu { get; } = Configurations.ToDictionary(c => c.Name, _ => new List<double>());
}
