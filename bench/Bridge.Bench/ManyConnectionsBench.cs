using System.Diagnostics;
using System.Globalization;

namespace Bridge.Bench;

/// <summary>
/// Issue 17 §3: one bridge holding <see cref="BenchOptions.ManyConnections"/> idle connections, each with an
/// <c>mq</c> watch, opened by several client processes at once (each process is capped at 20 000 open files).
/// Per repetition, on a fresh bridge: the resident set growth per connection, the time from telling the clients
/// to connect until every watch is live, and then a few messages published to all of them, each delivery's
/// publish-to-receive time merged over the processes.
/// </summary>
public static class ManyConnectionsBench
{
    /// <summary>Messages published to every connection once they are all idle; each one is a delivery to all of them.</summary>
    public const int Messages = 5;

    /// <summary>One message a second: each is a burst of N deliveries, and the bursts should not overlap.</summary>
    private const double MessagesPerSecond = 1;

    public delegate Task<(Uri Endpoint, ChildProcess Bridge, IAsyncDisposable Owner)> BridgeStarter(CancellationToken cancellationToken);

    public static async Task MeasureAsync(
        BenchOptions options, BenchResults results, BridgeStarter startBridge, IBenchPublisher publisher, string logDirectory, CancellationToken cancellationToken)
    {
        var total = options.ManyConnections;
        var processes = options.ManyConnectionsProcesses;
        var messages = options.Quick ? 2 : Messages;
        var result = new ManyConnectionsResult(total, processes, messages);
        for (var rep = 0; rep < options.Repetitions; rep++)
        {
            var (endpoint, bridge, owner) = await startBridge(cancellationToken);
            await using (owner)
            {
                await using (await SubscriberFleet.ConnectAsync(SystemKind.Bridge, endpoint, 10, cancellationToken))
                {
                    // Warm-up: the connection path's code is loaded and jitted before the baseline.
                }

                var holders = new List<HolderProcess>();
                try
                {
                    // Started (and their runtime loaded) before the baseline, so that only connecting is timed.
                    var collect = TimeSpan.FromSeconds(60 + (total / 1000.0));
                    for (var i = 0; i < processes; i++)
                    {
                        var share = (total / processes) + (i < total % processes ? 1 : 0);
                        holders.Add(await HolderProcess.StartAsync(endpoint, share, messages, collect, logDirectory, i, cancellationToken));
                    }

                    await Task.Delay(options.Settle, cancellationToken);
                    var before = bridge.ResidentBytes();
                    var started = Stopwatch.GetTimestamp();
                    await Task.WhenAll(holders.Select(h => h.SendAsync("go")));
                    await Task.WhenAll(holders.Select(h => h.ExpectAsync("connected", cancellationToken)));
                    var accept = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    await Task.Delay(options.Settle, cancellationToken);
                    var after = bridge.ResidentBytes();

                    await publisher.PublishAsync(messages, 200, MessagesPerSecond, cancellationToken);
                    await Task.WhenAll(holders.Select(h => h.SendAsync("collect")));
                    var replies = await Task.WhenAll(holders.Select(h => h.ExpectAsync("done", cancellationToken)));
                    var delivered = replies.Sum(r => long.Parse(r[0], CultureInfo.InvariantCulture));
                    var closed = replies.Sum(r => long.Parse(r[1], CultureInfo.InvariantCulture));
                    var latencies = holders.SelectMany(h => File.ReadLines(h.LatencyFile).Select(l => long.Parse(l, CultureInfo.InvariantCulture))).ToArray();
                    var summary = DeliveryRun.Summarize(latencies);

                    result.BytesPerConnection.Add((after - before) / (double)total);
                    result.AcceptSeconds.Add(accept);
                    result.Deliveries.Add(summary);
                    result.Delivered.Add(delivered);
                    if (closed > 0)
                    {
                        results.Notes.Add($"{total} connections: {closed} were closed by the bridge during repetition {rep + 1}.");
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {total} connections over {processes} processes: accepted in {accept:F1} s; bridge {before / 1048576.0:F1} MB -> {after / 1048576.0:F1} MB = {(after - before) / 1024.0 / total:F1} KB each; {messages} messages: {delivered}/{result.Expected} delivered, p50 {summary.P50Ms:F1} ms p99 {summary.P99Ms:F1} ms max {summary.MaxMs:F1} ms"));
                }
                finally
                {
                    foreach (var holder in holders)
                    {
                        await holder.DisposeAsync();
                    }
                }
            }
        }

        results.ManyConnections = result;
    }
}
