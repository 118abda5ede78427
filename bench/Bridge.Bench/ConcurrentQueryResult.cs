using System.Diagnostics;

namespace Bridge.Bench;

/// <param name="Store">What holds the collection: <c>embedded</c> or <c>mongodb</c>.</param>
/// <param name="Path"><c>bridge</c> (one WebSocket per client) or <c>store</c> (concurrent callers in the bench process).</param>
/// <param name="Operation"><c>get</c> or <c>query 100</c>.</param>
/// <param name="Clients">Clients issuing requests back to back, one in flight each.</param>
/// <param name="Reps">One figure per repetition.</param>
public sealed record ConcurrentQueryResult(string Store, string Path, string Operation, int Clients, List<ConcurrentQueryRep> Reps)
{
    public double QueriesPerSecond => BenchResults.Median(Reps.Select(r => r.QueriesPerSecond));

    public double P99 => BenchResults.Median(Reps.Select(r => r.P99Ms));
}

public readonly record struct ConcurrentQueryRep(double QueriesPerSecond, double P50Ms, double P99Ms, int Samples)
{
    public static ConcurrentQueryRep From(IEnumerable<List<long>> perClient, TimeSpan elapsed)
    {
        var all = perClient.SelectMany(samples => samples).ToArray();
        Array.Sort(all);
        if (all.Length == 0)
        {
            return new ConcurrentQueryRep(0, double.NaN, double.NaN, 0);
        }

        static double Millis(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        long At(double p) => all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)];
        return new ConcurrentQueryRep(all.Length / elapsed.TotalSeconds, Millis(At(0.5)), Millis(At(0.99)), all.Length);
    }
}
