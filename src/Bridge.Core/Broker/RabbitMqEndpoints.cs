using RabbitMQ.Client;

namespace Bridge.Broker;

/// <summary>
/// The nodes the bridge may connect to: <c>Bridge:RabbitMq:Endpoints:N</c> when listed (a cluster), else the
/// host of <c>Bridge:RabbitMq:Uri</c>. Credentials and vhost always come from <c>Uri</c> (one connection has one
/// login), the validator makes sure the endpoints do not say otherwise.
/// </summary>
/// <remarks>
/// The nodes are tried in the order listed, at the first connection and at every recovery (RabbitMQ.Client
/// asks the resolver again when it recovers), so a connection whose node died moves to the next live one.
/// The client's default resolver shuffles instead; keeping the order lets an operator spread replicas over the
/// nodes by listing them in another order on each replica, and makes a failover test deterministic.
/// </remarks>
internal sealed class RabbitMqEndpoints : IEndpointResolver
{
    private readonly AmqpTcpEndpoint[] _endpoints;

    public RabbitMqEndpoints(RabbitMqOptions options)
    {
        var uris = options.Endpoints is { Count: > 0 } listed
            ? listed.Select(static endpoint => new Uri(endpoint))
            : [new Uri(options.Uri!)];
        _endpoints = [.. uris.Select(ToEndpoint)];
        Description = string.Join(", ", _endpoints.Select(Describe));
    }

    /// <summary>The nodes as <c>amqp://host:port</c>, comma-separated (credentials never appear).</summary>
    public string Description { get; }

    public IReadOnlyList<AmqpTcpEndpoint> Endpoints => _endpoints;

    public IEnumerable<AmqpTcpEndpoint> All() => _endpoints;

    /// <summary><c>amqp://host:port</c> of one endpoint, as the status and the logs name a node.</summary>
    public static string Describe(AmqpTcpEndpoint endpoint) =>
        $"{(endpoint.Ssl.Enabled ? "amqps" : "amqp")}://{endpoint.HostName}:{endpoint.Port}";

    /// <summary>The port of an <c>amqp</c>/<c>amqps</c> URI, the protocol's default when it names none.</summary>
    public static int PortOf(Uri uri) =>
        uri.IsDefaultPort || uri.Port < 0 ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port;

    private static AmqpTcpEndpoint ToEndpoint(Uri uri) =>
        uri.Scheme == "amqps"
            ? new AmqpTcpEndpoint(uri.Host, PortOf(uri), new SslOption(uri.Host, enabled: true))
            : new AmqpTcpEndpoint(uri.Host, PortOf(uri));
}
