using RabbitMQ.Client;

namespace Bridge.Bench;

/// <summary>One AMQP connection with one channel, named so that RabbitMQ's management views tell the bench's roles apart.</summary>
public sealed class AmqpSession : IAsyncDisposable
{
    private readonly IConnection _connection;

    private AmqpSession(IConnection connection, IChannel channel)
    {
        _connection = connection;
        Channel = channel;
    }

    public IChannel Channel { get; }

    public static async Task<AmqpSession> OpenAsync(string uri, string name, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = name };
        var connection = await factory.CreateConnectionAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return new AmqpSession(connection, channel);
    }

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
