namespace Bridge.Broker;

/// <summary>The outcome of one message, and for a refused one the reason that goes with it to the dead-letter queue.</summary>
internal readonly record struct QueueVerdict(QueueOutcome Outcome, string Reason = "")
{
    public static QueueVerdict Accepted { get; } = new(QueueOutcome.Accepted);

    public static QueueVerdict Abandoned { get; } = new(QueueOutcome.Abandoned);
}
