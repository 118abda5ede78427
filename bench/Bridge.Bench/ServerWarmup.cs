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

    /// <summary>Untimed runs before the first timed one, at most: see <see cref="UntilSteadyAsync(bool, Func{Task{double}})"/>.</summary>
    public const int MaxWarmUpRuns = 6;

    // Two runs can agree while the runtime is still between its rounds of compilation (one subscriber, 2026-12-02
    // 16:05: 39.0 then 42.5 µs per delivery, and 12.5–18.0 in the timed runs after): at least three.
    private const int MinWarmUpRuns = 3;

    // Two untimed runs in a row whose CPU per unit differs by at most this share count as the steady state.
    private const double SteadyTolerance = 0.15;

    /// <summary>
    /// Warms a fresh server up until its CPU per unit of work stops falling: one untimed run and
    /// <see cref="SettleAsync"/>, again and again, until two runs in a row agree within 15 %, at least three (at most
    /// <see cref="MaxWarmUpRuns"/>). One run was not enough: with tiered PGO a hot method is compiled first with
    /// instrumentation and only on a later round for good, so in a quiet run (issue 17, 2026-12-02 15:55) the first of
    /// three timed 20 000-message distinct-watch runs after one warm-up run still cost the bridge 40–64 µs per message
    /// and the third 29–40, and the median of three often landed on the second, still compiling.
    /// </summary>
    /// <param name="pid">The server process whose CPU is read.</param>
    /// <param name="quick">The suite's smoke run: one untimed run and no waiting.</param>
    /// <param name="runOnceAsync">One untimed run; returns the units (messages, deliveries) it did.</param>
    /// <param name="cancellationToken">Ends the warm-up.</param>
    /// <returns>The CPU µs per unit of each untimed run, in order.</returns>
    public static Task<IReadOnlyList<double>> UntilSteadyAsync(int pid, bool quick, Func<Task<long>> runOnceAsync, CancellationToken cancellationToken) =>
        UntilSteadyAsync(quick, async () =>
        {
            var before = ChildProcess.CpuSecondsOf(pid);
            var units = await runOnceAsync();
            var perUnit = (ChildProcess.CpuSecondsOf(pid) - before) * 1e6 / Math.Max(1, units);
            await SettleAsync(pid, quick, cancellationToken);
            return perUnit;
        });

    /// <summary>
    /// The same rule for any figure of an untimed run: runs until two in a row agree within 15 %, at least three (at
    /// most <see cref="MaxWarmUpRuns"/>; one in the suite's smoke run). The concurrent queries use it with their rate,
    /// since what warms up there is throughput: the server GC also starts with one heap and adds heaps under load.
    /// </summary>
    /// <param name="quick">The suite's smoke run: one untimed run.</param>
    /// <param name="measureOnceAsync">One untimed run; returns its figure.</param>
    /// <returns>The figure of each untimed run, in order.</returns>
    public static async Task<IReadOnlyList<double>> UntilSteadyAsync(bool quick, Func<Task<double>> measureOnceAsync)
    {
        var figures = new List<double>();
        while (figures.Count < (quick ? 1 : MaxWarmUpRuns))
        {
            figures.Add(await measureOnceAsync());
            if (figures.Count >= MinWarmUpRuns && Math.Abs(figures[^1] - figures[^2]) <= SteadyTolerance * figures[^2])
            {
                break;
            }
        }

        return figures;
    }

    /// <summary>The untimed runs' figures, for the log.</summary>
    public static string Describe(IReadOnlyList<double> perUnit) =>
        string.Join(", ", perUnit.Select(v => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)));

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
