namespace Bridge.Ledger;

/// <summary>How many ledger events were refused (visible to tests and in the log lines that report them).</summary>
internal sealed class LedgerEventCounters
{
    private long _malformed;
    private long _skipped;

    /// <summary>Events the shared validation queue dead-lettered (once per event, whatever the number of instances).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Events this instance did not deliver because they were malformed.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    internal long AddMalformed() => Interlocked.Increment(ref _malformed);

    internal long AddSkipped() => Interlocked.Increment(ref _skipped);
}
