namespace Bridge.IntegrationTests.Fuzz;

/// <summary>What every fuzz suite holds the bridge to (issue 11, "What to build besides the fixes").</summary>
public static class FuzzBudget
{
    /// <summary>Generated messages per WebSocket front.</summary>
    public const int MessagesPerFront = 10_000;

    /// <summary>No answer may take longer than this.</summary>
    public static readonly TimeSpan AnswerTime = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait before calling an answer missing (longer than <see cref="AnswerTime"/>, so a slow answer is told apart from none).</summary>
    public static readonly TimeSpan MissingAfter = TimeSpan.FromSeconds(5);

    /// <summary>Managed heap growth over a whole run, after a full collection, that still counts as "back near the baseline".</summary>
    public const long MemoryGrowthBytes = 64L * 1024 * 1024;

    /// <summary>The managed heap after a full, compacting collection.</summary>
    public static long SettledHeapBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
