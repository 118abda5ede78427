using System.Diagnostics;
using System.Globalization;
using RabbitMQ.Client;

namespace Bridge.Bench;

/// <summary>Sends <c>count</c> benchmark messages of <c>size</c> bytes, as fast as possible (rate 0) or at <c>rate</c> messages per second.</summary>
public interface IBenchPublisher
{
    Task PublishAsync(int count, int size, double rate, CancellationToken cancellationToken);
}

/// <summary>Publishes to RabbitMQ (for the bridge and Web-STOMP): transient messages on one channel, no confirms.</summary>
public sealed class AmqpPublisher : IBenchPublisher, IAsyncDisposable
{
    private static readonly BasicProperties Transient = new();
    private readonly AmqpSession _session;

    private AmqpPublisher(AmqpSession session) => _session = session;

    public static async Task<AmqpPublisher> CreateAsync(string uri, CancellationToken cancellationToken)
    {
        var session = await AmqpSession.OpenAsync(uri, "bridge-bench-publisher", cancellationToken);
        // Declared as the bridge declares it, so that Web-STOMP finds it too (STOMP does not declare exchanges).
        await session.Channel.ExchangeDeclareAsync(SubscriberFleet.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        return new AmqpPublisher(session);
    }

    public async Task PublishAsync(int count, int size, double rate, CancellationToken cancellationToken)
    {
        var template = PayloadFormat.Template(size);
        var started = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < count; seq++)
        {
            if (rate > 0)
            {
                await Pacing.WaitForSlotAsync(started, seq, rate, cancellationToken);
            }

            var body = (byte[])template.Clone();
            PayloadFormat.Stamp(body, 0, seq, Stopwatch.GetTimestamp());
            await _session.Channel.BasicPublishAsync(SubscriberFleet.Exchange, SubscriberFleet.RoutingKey, mandatory: false, Transient, body, cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}

/// <summary>Asks the ceiling server to publish in its own process (there is no broker to publish to).</summary>
public sealed class CeilingPublisher(int port) : IBenchPublisher
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task PublishAsync(int count, int size, double rate, CancellationToken cancellationToken)
    {
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/broadcast?count={count}&size={size}&rate={rate}"));
        using var response = await Http.PostAsync(uri, content: null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
