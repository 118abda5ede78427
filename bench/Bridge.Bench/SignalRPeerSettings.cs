namespace Bridge.Bench;

/// <summary>The SignalR peer's command line: where it listens and which RabbitMQ node it consumes from.</summary>
public sealed record SignalRPeerSettings(int Port, string AmqpUri);
