using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Bridge.Bench;

/// <summary>
/// The SignalR peer's RabbitMQ side, as a .NET team would write it: one connection, one server-named exclusive
/// queue bound to the benchmark topic, one consumer that sends each message body to the hub's group.
/// </summary>
public sealed class RabbitGroupBroadcaster(IHubContext<BenchHub> hub, SignalRPeerSettings settings) : IHostedService, IAsyncDisposable
{
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>Set once the consumer is registered, so that readiness means messages reach the group.</summary>
    public bool Consuming { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(settings.AmqpUri), ClientProvidedName = "signalr-peer" };
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await _channel.ExchangeDeclareAsync(SubscriberFleet.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        var queue = await _channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await _channel.QueueBindAsync(queue.QueueName, SubscriberFleet.Exchange, SubscriberFleet.RoutingKey, cancellationToken: cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, delivery) =>
            hub.Clients.Group(BenchHub.Group).SendAsync(BenchHub.MessageMethod, Encoding.UTF8.GetString(delivery.Body.Span), CancellationToken.None);
        await _channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
        Consuming = true;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_channel is not null)
        {
            await _channel.CloseAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
