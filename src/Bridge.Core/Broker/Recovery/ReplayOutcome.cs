namespace Bridge.Broker.Recovery;

/// <summary>How a replay of <see cref="IRecoveryLog.ReplayAsync"/> ended.</summary>
public enum ReplayOutcome
{
    /// <summary>Every retained message after the position, up to the log's end as it was when asked, was handed over.</summary>
    CaughtUp,

    /// <summary>What followed the position is no longer retained (older than <c>MaxAge</c>, or past <c>MaxBytes</c>).</summary>
    Trimmed,

    /// <summary>The position is past the log's end: it was never given out by this log.</summary>
    BeyondEnd,
}
