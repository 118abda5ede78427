using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Bench;

/// <summary>
/// The benchmark is not a timed test: this only checks that it still runs end to end (RabbitMQ with Web-STOMP,
/// the bridge and the ceiling as child processes) on its tiny <c>--quick</c> size and produces every figure.
/// </summary>
[Collection(StandaloneNodeCollection.Name)]
public sealed class BenchQuickModeTests
{
    // Quick mode takes about 15 s on an idle 2-core machine (plus the SignalR peer, the many-connections and the
    // concurrent-query scenarios: about 15 s more); the margin is for a loaded one (5 min were seen at load 50).
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task QuickMode_ProducesEveryFigure()
    {
        var output = Directory.CreateTempSubdirectory("bridge-bench-test-").FullName;
        try
        {
            var (exitCode, log) = await RunBenchAsync(["--quick", "--distinct-without-history", "--out", output]);
            Assert.True(exitCode == 0, $"the bench exited with {exitCode}:\n{log}");

            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "results.json")));
            var root = results.RootElement;
            Assert.True(root.GetProperty("Cores").GetInt32() >= 1);

            var throughput = root.GetProperty("Throughput").EnumerateArray().ToList();
            // Bridge, Web-STOMP, ceiling and the SignalR peer (SystemKind's order).
            foreach (var system in new[] { 0, 1, 2, 3 })
            {
                var runs = throughput.Where(t => t.GetProperty("System").GetInt32() == system).ToList();
                Assert.True(runs.Count > 0, $"no throughput figures for system {system}:\n{log}");
                Assert.All(runs, run => Assert.All(run.GetProperty("Rates").EnumerateArray(), rate => Assert.True(rate.GetDouble() > 0, log)));
            }

            Assert.Equal(4, root.GetProperty("Latency").GetArrayLength());
            Assert.All(root.GetProperty("Latency").EnumerateArray(), l => Assert.True(l.GetProperty("P99").GetDouble() > 0, log));
            // The bridge, the SignalR peer and Web-STOMP.
            Assert.Equal(3, root.GetProperty("Memory").GetArrayLength());
            Assert.All(root.GetProperty("BrokerHop").EnumerateArray(), h => Assert.True(h.GetProperty("P99").GetDouble() > 0, log));
            Assert.Equal(1, root.GetProperty("BrokerHop").GetArrayLength());
            Assert.Equal(8, root.GetProperty("Queries").GetArrayLength());

            // Issue 17 §1: bridge mq, Web-STOMP mq and bridge catalogs, each client getting only its own messages; the
            // bridge's rows again with no recovery history on their exchanges (--distinct-without-history); and each of
            // them once more at the fixed rate of --distinct-rate (default 5 000 messages/s).
            var distinct = root.GetProperty("DistinctWatches").EnumerateArray().ToList();
            Assert.Equal(["bridge @ 5000/s/Catalogs", "bridge @ 5000/s/Mq", "bridge, no history @ 5000/s/Catalogs", "bridge, no history @ 5000/s/Mq", "bridge, no history/Catalogs", "bridge, no history/Mq", "bridge/Catalogs", "bridge/Mq", "webstomp @ 5000/s/Mq", "webstomp/Mq"],
                distinct.Select(d => $"{d.GetProperty("System").GetString()}/{(DistinctVariant)d.GetProperty("Variant").GetInt32()}").Order(StringComparer.Ordinal));
            Assert.All(distinct, d => Assert.True(d.GetProperty("Complete").GetBoolean(), log));
            Assert.All(distinct, d => Assert.True(d.GetProperty("MedianRate").GetDouble() > 0, log));

            // The paced rows were paced: no faster than their rate (first publish to last receipt), with a margin for
            // the clock's grain.
            Assert.All(distinct.Where(d => d.GetProperty("System").GetString()!.EndsWith(" @ 5000/s", StringComparison.Ordinal)),
                d => Assert.True(d.GetProperty("MedianRate").GetDouble() <= 5500, $"{d.GetProperty("System").GetString()}: {d.GetProperty("MedianRate").GetDouble()}/s\n{log}"));
            Assert.Equal(["embedded", "mongodb"], root.GetProperty("Queries").EnumerateArray().Select(q => q.GetProperty("Store").GetString()).Distinct().Order());
            // Issue 17 §3: every connection of the many-connections run got every message, and its figures exist.
            var many = root.GetProperty("ManyConnections");
            Assert.True(many.GetProperty("Connections").GetInt32() > 0, log);
            Assert.All(many.GetProperty("Delivered").EnumerateArray(), d => Assert.Equal(many.GetProperty("Expected").GetInt64(), d.GetInt64()));
            Assert.All(many.GetProperty("AcceptSeconds").EnumerateArray(), s => Assert.True(s.GetDouble() > 0, log));
            Assert.True(many.GetProperty("DeliveryP99").GetDouble() > 0, log);

            // Issue 17 §4: get and query through the bridge and on the store, on both stores.
            var concurrent = root.GetProperty("ConcurrentQueries").EnumerateArray().ToList();
            Assert.Equal(8, concurrent.Count);
            Assert.All(concurrent, q => Assert.True(q.GetProperty("QueriesPerSecond").GetDouble() > 0, log));

            var markdown = await File.ReadAllTextAsync(Path.Combine(output, "results.md"));
            Assert.Contains("Fan-out throughput", markdown, StringComparison.Ordinal);
            Assert.Contains("The .NET peer: SignalR hub + RabbitMQ consumer", markdown, StringComparison.Ordinal);
            Assert.Contains("whole path (bridge + RabbitMQ) CPU ≤ 0.5× Web-STOMP's per message (N = 20, no recovery history)", markdown, StringComparison.Ordinal);
            Assert.StartsWith("<svg", await File.ReadAllTextAsync(Path.Combine(output, "chart.svg")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunBenchAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(BenchDll());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the bench");
        var log = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, log);
        var stderr = PumpAsync(process.StandardError, log);
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(stdout, stderr);
            Assert.Fail($"the bench did not finish --quick within {RunTimeout}:\n{log}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, log.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder log)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    /// <summary>The bench built with the same configuration as this test assembly.</summary>
    private static string BenchDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        for (var directory = here; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Bridge.sln")))
            {
                var dll = Path.Combine(directory.FullName, "bench", "Bridge.Bench", "bin", configuration, tfm, "Bridge.Bench.dll");
                Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (the bench is part of it)");
                return dll;
            }
        }

        throw new InvalidOperationException($"no Bridge.sln above {here.FullName}");
    }

    private enum DistinctVariant
    {
        Mq,
        Catalogs,
    }
}
