using System.Diagnostics;

namespace Bridge.Bench;

/// <summary>
/// Waits, after a warm-up run, until a server process has stopped burning CPU on its own: a fresh .NET process
/// compiles its hot path at tier 0 and then again at tier 1 on a background thread, several seconds of CPU that
/// fell inside the first timed runs (issue 17: on a loaded machine the first of three 60 000-message distinct-watch
/// runs cost 63 and 126 µs per message where the next two cost 24–37, and the tiering thread still held a quarter of
/// the bridge's samples in a `perf` profile of the third). RabbitMQ's node settles the same way.
/// </summary>
internal static class ServerWarmup
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    // 3 % of a core over the window (three of /proc's 10 ms ticks): an idle bridge's timers and keep-alive pings, or
    // an idle Erlang node's schedulers, stay below it; a compiling runtime does not.
    private const double IdleShare = 0.03;

    /// <summary>Returns how long it waited; gives up after <see cref="MaxWait"/>.</summary>
    /// <param name="pid">The server process.</param>
    /// <param name="quick">The suite's smoke run (<c>--quick</c>): its figures mean nothing, so it does not wait.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    public static async Task<TimeSpan> SettleAsync(int pid, bool quick, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (quick)
        {
            return TimeSpan.Zero;
        }

        while (Stopwatch.GetElapsedTime(started) < MaxWait)
        {
            var before = ChildProcess.CpuSecondsOf(pid);
            await Task.Delay(Window, cancellationToken);
            if (ChildProcess.CpuSecondsOf(pid) - before <= IdleShare * Window.TotalSeconds)
            {
                break;
            }
        }

        return Stopwatch.GetElapsedTime(started);
    }
}
