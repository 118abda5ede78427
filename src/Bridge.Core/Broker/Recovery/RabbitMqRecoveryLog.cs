using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker.Recovery;

/// <summary>
/// The recovery log on RabbitMQ: one stream queue per retained exchange (<c>bridge.recovery.&lt;exchange&gt;</c>,
/// bound with <c>#</c>, <c>x-max-age</c> and <c>x-max-length-bytes</c> from <c>Bridge:Recovery</c>), read over AMQP
/// 0-9-1 with <c>x-stream-offset</c> (platform.md: RabbitMQ.Stream.Client is not served). A position is the stream's
/// own offset, so it means the same on every instance. While an instance has recovering watches on an exchange it
/// follows that stream from its tail with one reader, which feeds their live frames; a replay is a reader of its own
/// from an offset.
/// </summary>
/// <remarks>
/// It has its own connection, beside <see cref="RabbitMqBroker"/>'s, so that the broker needs no hook. Automatic
/// recovery restores the connection and channels, but not the consumers (topology recovery is off): a stream
/// consumer recovered as declared would start again from its first offset, or from "next" and skip what was
/// published meanwhile. Each reader instead resumes after the last offset it handled. Consumer tags are chosen
/// here, because a stream consumer can see deliveries before its consume-ok (platform.md).
/// A stream's tail reader runs only while a live subscriber needs it: every message of a retained exchange also
/// reaches the stream, and following it with no recovering watch on the instance made the bridge receive, parse
/// and acknowledge each message twice (docs/benchmarks.md, "What was changed"). The stream keeps the messages
/// whether or not anyone follows it, so a replay still finds them.
/// </remarks>
internal sealed class RabbitMqRecoveryLog : BackgroundService, IRecoveryLog
{
    private const string StreamPrefix = "bridge.recovery.";
    private const ushort Prefetch = 1000;
    private const int AckBatch = Prefetch / 4;

    private readonly RecoveryOptions _options;
    private readonly RabbitMqOptions _rabbitOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RabbitMqRecoveryLog> _logger;
    private readonly ConnectionFactory _factory;
    private readonly RabbitMqEndpoints _endpoints;
    private readonly string _address;
    private readonly Dictionary<string, TailState> _tails;
    private readonly ConcurrentDictionary<StreamReader, bool> _readers = new();
    private readonly SemaphoreSlim _recovered = new(0);
    private volatile IConnection? _connection;

    public RabbitMqRecoveryLog(
        IOptions<RabbitMqOptions> rabbitOptions,
        IOptions<RecoveryOptions> options,
        RetainedExchanges exchanges,
        TimeProvider timeProvider,
        ILogger<RabbitMqRecoveryLog> logger)
    {
        _options = options.Value;
        _rabbitOptions = rabbitOptions.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _tails = exchanges.Names.ToDictionary(static name => name, name => new TailState(this, name), StringComparer.Ordinal);
        var uri = new Uri(_rabbitOptions.Uri!);
        // The same node list as the broker's own connection, so the streams follow a cluster's failover too.
        _endpoints = new RabbitMqEndpoints(_rabbitOptions);
        _address = _endpoints.Description;
        _factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = _rabbitOptions.ClientName + " (recovery streams)",
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = false,
            NetworkRecoveryInterval = _rabbitOptions.NetworkRecoveryInterval,
            RequestedConnectionTimeout = _rabbitOptions.ConnectTimeout,
            ConsumerDispatchConcurrency = 1,
        };
    }

    public string Epoch => _options.Epoch;

    /// <summary>True once every stream is declared (each is followed from the first live subscriber on, see the remarks).</summary>
    public bool IsReady { get; private set; }

    public static string StreamName(string exchange) => StreamPrefix + exchange;

    public bool Retains(string exchange) => _tails.ContainsKey(exchange);

    public long? KnownTail(string exchange)
    {
        var tail = Tail(exchange).Offset;
        return tail < 0 ? null : tail;
    }

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, RetainedHandler handler, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsReady)
        {
            throw new BrokerUnavailableException($"the recovery streams at {_address} are not ready yet");
        }

        return await Tail(exchange).SubscribeAsync(TopicPattern.Compile(bindingKey), handler, cancellationToken);
    }

    /// <summary>Whether this instance follows <paramref name="exchange"/>'s stream now (it has live subscribers), for diagnostics and tests.</summary>
    public bool IsFollowing(string exchange) => Tail(exchange).IsFollowing;

    public async ValueTask<RecoveryReplay> ReplayAsync(string exchange, long after, RetainedHandler handler, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true } connection || !IsReady)
        {
            throw new BrokerUnavailableException($"the recovery streams at {_address} are not ready yet");
        }

        var reader = new StreamReader(this, exchange, handler, lastOffset: after);
        try
        {
            await reader.StartAsync(connection, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await reader.DisposeAsync();
            throw new BrokerUnavailableException($"could not read stream {StreamName(exchange)} at {_address}: {ex.Message}", ex);
        }

        // A stream cannot say where it starts without being read: the first delivery tells the caller.
        return new RecoveryReplay(reader, FirstRetained: null);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = _rabbitOptions.ConnectRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ConnectAsync(stoppingToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RecoveryDiagnostics.ConnectFailed(_logger, _address, ex.Message, delay);
                await Task.Delay(delay, _timeProvider, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _rabbitOptions.ConnectRetryMaxDelay.Ticks));
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            await _recovered.WaitAsync(stoppingToken);
            if (_connection is { } connection)
            {
                RecoveryDiagnostics.ReadersResumed(_logger, _readers.Count);
                foreach (var reader in _readers.Keys)
                {
                    await reader.ResumeAsync(connection, stoppingToken);
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        IsReady = false;
        foreach (var reader in _readers.Keys)
        {
            await reader.DisposeAsync();
        }

        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync(Constants.ReplySuccess, "bridge stopping", _rabbitOptions.ShutdownTimeout, abort: false, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RecoveryDiagnostics.ReaderFailed(_logger, "(connection)", ex.Message);
            }

            await connection.DisposeAsync();
            _connection = null;
        }
    }

    public override void Dispose()
    {
        _recovered.Dispose();
        base.Dispose();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = await _factory.CreateConnectionAsync(_endpoints, _factory.ClientProvidedName, cancellationToken);
        try
        {
            foreach (var exchange in _tails.Keys)
            {
                await DeclareStreamAsync(connection, exchange, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        connection.RecoverySucceededAsync += (_, _) =>
        {
            _recovered.Release();
            return Task.CompletedTask;
        };
        _connection = connection;
        IsReady = true;
        RecoveryDiagnostics.StreamsReady(_logger, string.Join(", ", _tails.Keys.Select(StreamName)), _address);
        RecoveryDiagnostics.Retaining(_logger, string.Join(", ", _tails.Keys), _options.MaxAge, _options.MaxBytes, "RabbitMQ streams", Epoch);
    }

    private async Task DeclareStreamAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        var stream = StreamName(exchange);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, arguments: null, cancellationToken: cancellationToken);
        }

        // Retention applies a whole segment at a time: segments of an eighth of the byte budget keep it close.
        var segment = Math.Clamp(_options.MaxBytes / 8, 64L * 1024, 500L * 1024 * 1024);
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "stream",
            ["x-max-age"] = string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)_options.MaxAge.TotalSeconds)}s"),
            ["x-max-length-bytes"] = _options.MaxBytes,
            ["x-stream-max-segment-size-bytes"] = segment,
        };
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(stream, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            // Declared before with other retention: keep it (an operator's policy may be why) rather than fail the bridge.
            RecoveryDiagnostics.StreamArgumentsDiffer(_logger, stream, ex.ShutdownReason.ReplyText);
        }

        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueBindAsync(stream, exchange, "#", arguments: null, cancellationToken: cancellationToken);
        }
    }

    private TailState Tail(string exchange) =>
        _tails.TryGetValue(exchange, out var tail) ? tail : throw new ArgumentException($"exchange '{exchange}' is not retained", nameof(exchange));

    private sealed record LiveSubscriber(TopicPattern Pattern, RetainedHandler Handler);

    /// <summary>
    /// This instance's view of one stream's tail: the offset it reached and who listens live. The reader that
    /// follows the tail starts with the first live subscriber and stops with the last (see the class remarks).
    /// </summary>
    private sealed class TailState(RabbitMqRecoveryLog log, string exchange)
    {
        // Serializes starting and stopping the reader with the subscribers that need it.
        private readonly SemaphoreSlim _gate = new(1, 1);

        // Orders a reader's offsets against its stop: a reader that is stopping must not leave its offset behind.
        private readonly Lock _offsetLock = new();
        private ImmutableArray<LiveSubscriber> _live = [];
        private StreamReader? _reader;
        private long _offset = -1;
        private int _generation;

        public string Exchange { get; } = exchange;

        public long Offset
        {
            get
            {
                lock (_offsetLock)
                {
                    return _offset;
                }
            }
        }

        public bool IsFollowing => Volatile.Read(ref _reader) is not null;

        public async Task<IAsyncDisposable> SubscribeAsync(TopicPattern pattern, RetainedHandler handler, CancellationToken cancellationToken)
        {
            var subscriber = new LiveSubscriber(pattern, handler);
            await _gate.WaitAsync(cancellationToken);
            try
            {
                ImmutableInterlocked.Update(ref _live, static (list, s) => list.Add(s), subscriber);
                if (_reader is null)
                {
                    await StartReaderAsync(subscriber, cancellationToken);
                }
            }
            finally
            {
                _gate.Release();
            }

            return new Unsubscriber(this, subscriber);
        }

        // From "next": what came before is the replays' (a reader of their own); the tail stays unknown until the
        // first delivery, which RecoveringMember handles as on an instance that has just started.
        private async Task StartReaderAsync(LiveSubscriber subscriber, CancellationToken cancellationToken)
        {
            int generation;
            lock (_offsetLock)
            {
                generation = _generation;
            }

            var reader = new StreamReader(log, Exchange, (long offset, in BrokerDelivery delivery) => Dispatch(generation, offset, delivery), lastOffset: null);
            try
            {
                if (log._connection is not { IsOpen: true } connection)
                {
                    throw new BrokerUnavailableException($"the recovery streams at {log._address} are not connected");
                }

                await reader.StartAsync(connection, cancellationToken);
            }
            catch (Exception ex)
            {
                ImmutableInterlocked.Update(ref _live, static (list, s) => list.Remove(s), subscriber);
                await reader.DisposeAsync();
                if (ex is OperationCanceledException or BrokerUnavailableException)
                {
                    throw;
                }

                throw new BrokerUnavailableException($"could not follow stream {StreamName(Exchange)} at {log._address}: {ex.Message}", ex);
            }

            Volatile.Write(ref _reader, reader);
        }

        private async ValueTask UnsubscribeAsync(LiveSubscriber subscriber)
        {
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                ImmutableInterlocked.Update(ref _live, static (list, s) => list.Remove(s), subscriber);
                if (!_live.IsEmpty || _reader is not { } reader)
                {
                    return;
                }

                Volatile.Write(ref _reader, null);
                lock (_offsetLock)
                {
                    // Nothing follows the tail from here: the offset reached goes stale, and a later reader starts over.
                    _generation++;
                    _offset = -1;
                }

                await reader.DisposeAsync();
            }
            finally
            {
                _gate.Release();
            }
        }

        private void Dispatch(int generation, long offset, in BrokerDelivery delivery)
        {
            // Before the dispatch, with a full fence: a subscriber that registered and then read the tail sees either
            // this offset (and replays it) or a smaller one (and receives it live).
            lock (_offsetLock)
            {
                if (generation != _generation)
                {
                    return;
                }

                _offset = offset;
            }

            foreach (var subscriber in _live)
            {
                if (subscriber.Pattern.IsMatch(delivery.RoutingKey))
                {
                    subscriber.Handler(offset, delivery);
                }
            }
        }

        private sealed class Unsubscriber(TailState tail, LiveSubscriber subscriber) : IAsyncDisposable
        {
            private int _disposed;

            public ValueTask DisposeAsync() =>
                Interlocked.Exchange(ref _disposed, 1) == 0 ? tail.UnsubscribeAsync(subscriber) : ValueTask.CompletedTask;
        }
    }

    /// <summary>One stream consumer: from an offset (a replay) or from the tail (the live reader), resumable.</summary>
    private sealed class StreamReader(RabbitMqRecoveryLog log, string exchange, RetainedHandler handler, long? lastOffset) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private IChannel? _channel;
        private string? _consumerTag;
        private long _lastOffset = lastOffset ?? -1;
        private readonly bool _fromTail = lastOffset is null;
        private int _unacked;
        private volatile bool _disposed;

        public async Task StartAsync(IConnection connection, CancellationToken cancellationToken)
        {
            log._readers[this] = true;
            await ConsumeAsync(connection, cancellationToken);
        }

        public async Task ResumeAsync(IConnection connection, CancellationToken cancellationToken)
        {
            try
            {
                await ConsumeAsync(connection, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RecoveryDiagnostics.ReaderFailed(log._logger, StreamName(exchange), ex.Message);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _disposed = true;
            log._readers.TryRemove(this, out _);
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                if (_channel is { IsOpen: true } channel)
                {
                    try
                    {
                        await channel.CloseAsync();
                    }
                    catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
                    {
                        // The connection went first: nothing to close.
                    }
                }

                _channel?.Dispose();
                _channel = null;
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task ConsumeAsync(IConnection connection, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_disposed)
                {
                    return;
                }

                if (_channel is not null)
                {
                    // A channel from before the connection loss: a fresh one is simpler than guessing its state.
                    try
                    {
                        await _channel.CloseAsync(cancellationToken);
                    }
                    catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
                    {
                        // Already gone with the old connection.
                    }

                    _channel.Dispose();
                }

                var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                _channel = channel;
                await channel.BasicQosAsync(0, Prefetch, global: false, cancellationToken);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += OnReceivedAsync;
                _consumerTag = $"bridge-recovery-{Guid.NewGuid():N}";
                object start = _fromTail && Volatile.Read(ref _lastOffset) < 0 ? "next" : Volatile.Read(ref _lastOffset) + 1;
                var arguments = new Dictionary<string, object?> { ["x-stream-offset"] = start };
                _unacked = 0;
                await channel.BasicConsumeAsync(StreamName(exchange), autoAck: false, _consumerTag, noLocal: false, exclusive: false, arguments, consumer, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
        {
            if (_disposed || sender is not AsyncEventingBasicConsumer { Channel: { } channel })
            {
                return;
            }

            var offset = OffsetOf(delivery.BasicProperties.Headers);
            if (offset is { } value && value > Volatile.Read(ref _lastOffset))
            {
                Volatile.Write(ref _lastOffset, value);
                var message = new BrokerDelivery(exchange, delivery.RoutingKey, delivery.Body, ReceivedTimestamp: Stopwatch.GetTimestamp())
                {
                    MessageId = delivery.BasicProperties.MessageId,
                };
                try
                {
                    handler(value, message);
                }
                catch (Exception ex)
                {
                    RecoveryDiagnostics.HandlerFailed(log._logger, exchange, value, ex);
                }
            }

            // Acknowledgements are the stream's credit: in batches, well inside the prefetch window.
            if (++_unacked >= AckBatch)
            {
                _unacked = 0;
                try
                {
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true, CancellationToken.None);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
                {
                    // The channel is going; the reader resumes after its last offset once the connection is back.
                }
            }
        }

        private static long? OffsetOf(IDictionary<string, object?>? headers) =>
            headers is not null && headers.TryGetValue("x-stream-offset", out var value) && value is not null
                ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
                : null;
    }
}
