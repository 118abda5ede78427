namespace Bridge.TestServers;

/// <summary>How a private RabbitMQ node is set up beyond its AMQP listener.</summary>
public sealed record RabbitMqServerOptions
{
    /// <summary>The node name is <c>{NamePrefix}-{amqpPort}@localhost</c>; also the temp folder's prefix.</summary>
    public string NamePrefix { get; init; } = "bridge-test";

    /// <summary>
    /// Enables the Web-STOMP plugin (it ships in Debian's package) on a loopback port of its own, with idle
    /// timeouts of an hour: Cowboy closes a WebSocket that received nothing for 60 s by default, and benchmark
    /// subscribers only listen.
    /// </summary>
    public bool WebStomp { get; init; }
}
