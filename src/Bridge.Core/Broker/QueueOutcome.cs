namespace Bridge.Broker;

/// <summary>What became of one durable-queue message.</summary>
internal enum QueueOutcome
{
    Accepted,

    /// <summary>Refused or failed: dead-letter it.</summary>
    Refused,

    /// <summary>The consumer is stopping mid-message: leave it for redelivery.</summary>
    Abandoned,
}
