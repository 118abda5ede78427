using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Bridge.Observability;

namespace Bridge.Broker;

/// <summary>
/// The broker of the embedded mode (no <c>Bridge:RabbitMq:Uri</c>): publishing calls the matching
/// subscribers synchronously, in process, with RabbitMQ's topic semantics. Nothing leaves the process.
/// </summary>
public sealed partial class InProcessBroker(ILogger<InProcessBroker> logger, BridgeMetrics? metrics = null) : IBroker
{
    private static readonly DependencyStatus Ready = new(true, "in-process broker");

    private readonly SubscriptionIndex _index = new(logger);

    public DependencyStatus Status => Ready;

    /// <summary>The live subscriptions, for diagnostics and tests.</summary>
    public SubscriptionIndex Index => _index;

    public ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var registration = _index.Add(exchange, bindingKey, handler);
        return ValueTask.FromResult<IAsyncDisposable>(new IndexSubscriptionHandle(_index, registration.Subscription));
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(routingKey, nameof(routingKey));
        cancellationToken.ThrowIfCancellationRequested();

        // In process the publisher's span is the producer: its context travels with the message as AMQP headers would carry it.
        var delivery = new BrokerDelivery(exchange, routingKey, body, Activity.Current?.Context ?? default, Stopwatch.GetTimestamp());
        metrics?.BrokerMessageReceived(exchange);
        using (BridgeTracing.StartProcess(exchange, routingKey, delivery.TraceContext))
        {
            _index.Dispatch(delivery);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// In process there is one instance, so a "shared" queue is a bounded in-memory queue drained by one loop.
    /// Refused messages are kept (the newest <see cref="DeadLetterCapacity"/>) in <see cref="DeadLetters"/>.
    /// </summary>
    public ValueTask<IAsyncDisposable> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();
        var consumer = new InProcessQueue(queue, handler, this, logger);
        var registration = _index.Add(exchange, bindingKey, consumer.Enqueue);
        consumer.Start(new IndexSubscriptionHandle(_index, registration.Subscription));
        return ValueTask.FromResult<IAsyncDisposable>(consumer);
    }

    /// <summary>In process a queue lives exactly as long as its consumer, so there is nothing left to delete.</summary>
    public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return ValueTask.FromResult(true);
    }

    public const int DeadLetterCapacity = 1000;

    private readonly ConcurrentQueue<(string Queue, BrokerDelivery Delivery)> _deadLetters = new();

    /// <summary>Messages refused by queue handlers, oldest first (the in-process stand-in for <c>&lt;queue&gt;.dead-letter</c>).</summary>
    public IReadOnlyList<(string Queue, BrokerDelivery Delivery)> DeadLetters => [.. _deadLetters];

    private void DeadLetter(string queue, BrokerDelivery delivery)
    {
        _deadLetters.Enqueue((queue, delivery));
        while (_deadLetters.Count > DeadLetterCapacity && _deadLetters.TryDequeue(out _))
        {
        }
    }

    private sealed partial class InProcessQueue(string name, QueueHandler handler, InProcessBroker broker, ILogger logger) : IAsyncDisposable
    {
        private readonly Channel<BrokerDelivery> _pending =
            Channel.CreateBounded<BrokerDelivery>(new BoundedChannelOptions(100_000)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });

        private readonly CancellationTokenSource _stopping = new();
        private IAsyncDisposable? _subscription;
        private Task _loop = Task.CompletedTask;

        public void Start(IAsyncDisposable subscription)
        {
            _subscription = subscription;
            _loop = RunAsync();
        }

        public void Enqueue(in BrokerDelivery delivery)
        {
            // The publisher's buffer is not ours to keep.
            var copy = delivery with { Body = delivery.Body.ToArray() };
            if (!_pending.Writer.TryWrite(copy))
            {
                QueueFull(logger, name);
                broker.DeadLetter(name, copy);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_subscription is not null)
            {
                await _subscription.DisposeAsync();
            }

            _pending.Writer.TryComplete();
            await _loop.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _stopping.CancelAsync();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stopping.Dispose();
        }

        private async Task RunAsync()
        {
            await Task.Yield();
            await foreach (var delivery in _pending.Reader.ReadAllAsync(_stopping.Token))
            {
                var outcome = await QueueHandlerRunner.RunAsync(handler, delivery, name, logger, _stopping.Token);
                if (outcome == QueueOutcome.Abandoned)
                {
                    return;
                }

                if (outcome == QueueOutcome.Refused)
                {
                    broker.DeadLetter(name, delivery);
                }
            }
        }

        [LoggerMessage(EventId = 1040, EventName = "InProcessQueueFull", Level = LogLevel.Error,
            Message = "In-process queue {Queue} is full: the message is dead-lettered")]
        private static partial void QueueFull(ILogger logger, string queue);
    }

    private sealed class IndexSubscriptionHandle(SubscriptionIndex index, SubscriptionIndex.Subscription subscription) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            index.Remove(subscription);
            return ValueTask.CompletedTask;
        }
    }
}
