using RabbitMQ.Client;

namespace Bridge.Broker;

/// <summary>
/// The current connection of a <see cref="RabbitMqBroker"/> as its parts see it (topology, publisher, durable
/// queues): the connection itself, the instance's server-named queue, whether the bridge counts itself connected,
/// and the status <c>/readyz</c> reports. Only the broker's connection and recovery code writes it.
/// </summary>
internal sealed class RabbitMqConnectionState(RabbitMqEndpoints endpoints)
{
    private volatile string _queueName = string.Empty;
    private volatile bool _isConnected;
    private volatile bool _isStopping;
    private volatile StatusSnapshot _status = new(false, $"waiting for RabbitMQ at {endpoints.Description}: not connected yet");

    /// <summary>Every configured node, for messages written before (or without) a connection.</summary>
    public string Address { get; } = endpoints.Description;

    public IConnection? Connection { get; set; }

    /// <summary>The server-named queue this instance consumes (it changes when the client recovers the connection).</summary>
    public string QueueName
    {
        get => _queueName;
        set => _queueName = value;
    }

    public bool IsConnected
    {
        get => _isConnected;
        set => _isConnected = value;
    }

    public bool IsStopping
    {
        get => _isStopping;
        set => _isStopping = value;
    }

    public bool IsReady => _status.IsReady;

    public string StatusDescription => _status.Description;

    // The node the connection is on (it changes when recovery moves to another), or the whole list before the first connection.
    public string ConnectedNode => Connection?.Endpoint is { } endpoint ? RabbitMqEndpoints.Describe(endpoint) : Address;

    public void SetStatus(bool isReady, string description) => _status = new StatusSnapshot(isReady, description);

    public void ThrowIfNotConnected()
    {
        if (!_isConnected)
        {
            throw new BrokerUnavailableException($"The broker is not available: {_status.Description}");
        }
    }

    /// <summary>The connection when it is open; otherwise <see cref="BrokerUnavailableException"/> saying why not.</summary>
    public IConnection RequireOpen() =>
        Connection is { IsOpen: true } connection
            ? connection
            : throw new BrokerUnavailableException($"RabbitMQ at {Address} is not connected: {_status.Description}");

    // A channel the server closed (406, 404) is not recovered by the client: replace it. While the connection
    // itself is down the old channel will be recovered with it, so there is nothing to replace yet.
    public async ValueTask<IChannel> OpenReplacementChannelAsync(IChannel? closed, CreateChannelOptions? options, CancellationToken cancellationToken)
    {
        var connection = RequireOpen();
        if (closed is not null)
        {
            await closed.DisposeAsync();
        }

        return await connection.CreateChannelAsync(options, cancellationToken);
    }

    // One object, so that readiness and its description are always read together.
    private sealed record StatusSnapshot(bool IsReady, string Description);
}
