namespace Bridge.Broker;

/// <summary>Thrown by a <see cref="QueueHandler"/> to dead-letter its message with a reason that travels with it.</summary>
public sealed class DeadLetterException(string reason) : Exception(reason);
