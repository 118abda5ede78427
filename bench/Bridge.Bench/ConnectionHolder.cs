using System.Diagnostics;
using System.Globalization;

namespace Bridge.Bench;

/// <summary>
/// One of the client processes of the many-connections run (issue 17 §3): a process may hold at most 20 000
/// open files, so the bench spreads 19 000 bridge connections over several of these. Driven over stdin/stdout
/// by <see cref="ManyConnectionsBench"/>: it says <c>started</c>, connects its share (each with an <c>mq</c>
/// watch) on <c>go</c> and says <c>connected</c>; on <c>collect</c> it waits for the expected deliveries,
/// writes their publish-to-receive times to a file and says <c>done &lt;received&gt;</c>; <c>quit</c> (or the end of
/// stdin) closes everything.
/// </summary>
public static class ConnectionHolder
{
    public const string Command = "hold-connections";

    public static async Task<int> RunAsync(string[] args)
    {
        var endpoint = new Uri(Argument(args, "--endpoint"));
        var count = int.Parse(Argument(args, "--count"), CultureInfo.InvariantCulture);
        var messages = int.Parse(Argument(args, "--messages"), CultureInfo.InvariantCulture);
        var output = Argument(args, "--out");
        var collectTimeout = TimeSpan.FromSeconds(double.Parse(Argument(args, "--collect-seconds"), CultureInfo.InvariantCulture));

        Console.WriteLine("started");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        var started = Stopwatch.GetTimestamp();
        await using var fleet = await SubscriberFleet.ConnectAsync(SystemKind.Bridge, endpoint, count, CancellationToken.None);
        var run = fleet.Begin((long)count * messages, recordLatency: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connected {Stopwatch.GetElapsedTime(started).TotalSeconds:F3}"));

        while (await Console.In.ReadLineAsync() is { } line && line != "quit")
        {
            if (line == "collect")
            {
                await run.Completed.WaitAsync(collectTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                fleet.End();
                var ticks = run.LatencyTicks();
                await File.WriteAllLinesAsync(output, ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {run.Received} {fleet.UnexpectedCloses}"));
            }
        }

        return 0;
    }

    private static string Argument(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : throw new ArgumentException($"{Command}: {name} is required");
    }
}
