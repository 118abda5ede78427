using System.ComponentModel.DataAnnotations;

namespace Bridge.Broker;

/// <summary>Settings under <c>Bridge:RabbitMq</c>. Setting <see cref="Uri"/> switches the bridge from the in-process broker to RabbitMQ.</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "Bridge:RabbitMq";

    /// <summary>The broker, e.g. <c>amqp://user:password@host:5672/vhost</c>; empty means the in-process broker.</summary>
    public string? Uri { get; set; }

    /// <summary>
    /// The nodes of a cluster (<c>Bridge:RabbitMq:Endpoints:0</c>, <c>:1</c>, ...), each <c>amqp://host:port</c>
    /// (credentials and vhost, if given, must match <see cref="Uri"/>, which gives them). Tried in this order;
    /// the connection moves to the next live one when its node dies. Empty: <see cref="Uri"/>'s host only.
    /// </summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>The connection name shown in the management UI and <c>rabbitmqctl list_connections</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Bridge:RabbitMq:ClientName must not be empty.")]
    public string ClientName { get; set; } = "bridge";

    /// <summary>Unacknowledged deliveries the broker may push ahead of the bridge's dispatch (basic.qos).</summary>
    [Range(1, ushort.MaxValue, ErrorMessage = "Bridge:RabbitMq:Prefetch must be between {1} and {2}.")]
    public int Prefetch { get; set; } = 1000;

    /// <summary>The first wait between connection attempts at start-up; it doubles (with jitter) up to <see cref="ConnectRetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Bridge:RabbitMq:ConnectRetryDelay must be between {1} and {2}.")]
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between connection attempts at start-up. Attempts go on until the bridge stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Bridge:RabbitMq:ConnectRetryMaxDelay must be between {1} and {2}.")]
    public TimeSpan ConnectRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one connection attempt (TCP + AMQP handshake) may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Bridge:RabbitMq:ConnectTimeout must be between {1} and {2}.")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait between the client's automatic recovery attempts after a connection loss.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Bridge:RabbitMq:NetworkRecoveryInterval must be between {1} and {2}.")]
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a publish waits for RabbitMQ's publisher confirm before it fails with
    /// <see cref="BrokerUnavailableException"/> (the message may still have been routed). RabbitMQ 3.10.8 was seen
    /// never to confirm while a cluster node stopped; without this bound a publish waited as long as its caller.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Bridge:RabbitMq:PublishConfirmTimeout must be between {1} and {2}.")]
    public TimeSpan PublishConfirmTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long closing the channels and the connection may take when the bridge stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Bridge:RabbitMq:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
