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
/// Where a stream ends cannot be asked over AMQP 0-9-1, and this instance's tail reader may lag behind it (or
/// behind the instance that gave a client its position). So the end is marked: a replay appends a marker (an empty
/// message of type <c>bridge.recovery.marker</c>, published to the stream itself through the default exchange, so no
/// watch of the exchange sees it) once its reader is attached, and ends when its reader reaches that marker: every
/// message stored before the request is replayed, whichever instance serves it. Each tail reader does the same when
/// it starts, so the instance knows its tail from then on and a replay can start no later than it. Every reader
/// skips markers (their offsets are never a position).
/// <para>
/// It has its own connection, beside <see cref="RabbitMqBroker"/>'s, so that the broker needs no hook. Automatic
/// recovery restores the connection and channels, but not the consumers (topology recovery is off): a stream
/// consumer recovered as declared would start again from its first offset, or from "next" and skip what was
/// published meanwhile. Each reader instead resumes after the last offset it handled. Consumer tags are chosen
/// here, because a stream consumer can see deliveries before its consume-ok (platform.md).
/// </para>
/// <para>
/// A stream's tail reader runs only while a live subscriber needs it: every message of a retained exchange also
/// reaches the stream, and following it with no recovering watch on the instance made the bridge receive, parse
/// and acknowledge each message twice (docs/benchmarks.md, "What was changed"). The stream keeps the messages
/// whether or not anyone follows it, so a replay still finds them; a tail reader that starts learns its tail from a
/// start marker before its first subscriber is told it is subscribed.
/// </para>
/// </remarks>
internal sealed class RabbitMqRecoveryLog : BackgroundService, IRecoveryLog
{
    private const string StreamPrefix = "bridge.recovery.";
    private const string MarkerType = "bridge.recovery.marker";

    // The header of a marker that states its stream's epoch (see DeriveEpochAsync).
    private const string EpochHeader = "bridge-epoch";
    private const ushort Prefetch = 1000;
    private const int AckBatch = Prefetch / 4;

    // How long a marker's publisher confirm, or a starting tail reader's wait for its own marker, may take.
    private static readonly TimeSpan MarkerTimeout = TimeSpan.FromSeconds(10);

    // How long reading a stream's epoch from its first offset may take (it usually ends within the first minute of retained traffic).
    private static readonly TimeSpan EpochTimeout = TimeSpan.FromSeconds(30);

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
    private readonly SemaphoreSlim _markerChannelLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private volatile IConnection? _connection;
    private IChannel? _markerChannel;
    private IConnection? _markerChannelConnection;

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

    /// <summary>The epoch of <paramref name="exchange"/>'s stream, read from the stream itself (docs/operations.md, "Recovery epochs").</summary>
    public string EpochOf(string exchange) =>
        Tail(exchange).Epoch ?? throw new BrokerUnavailableException($"the epoch of stream {StreamName(exchange)} at {_address} is not known yet");

    /// <summary>True once every stream is declared and its epoch known.</summary>
    public bool IsReady { get; private set; }

    /// <summary>
    /// For <c>/readyz</c>: not ready until the streams are declared, nor while a stream reader is down (RabbitMQ
    /// cancelled it: the stream was deleted, or its replica moved), naming each such reader until it resumes.
    /// </summary>
    public DependencyStatus Status
    {
        get
        {
            if (!IsReady)
            {
                return new DependencyStatus(false, $"the recovery streams at {_address} are not declared yet");
            }

            var down = _readers.Keys.Select(static reader => reader.DownReason).OfType<string>().ToList();
            return down.Count == 0
                ? new DependencyStatus(true, $"recovery streams {string.Join(", ", _tails.Keys.Select(StreamName))} at {_address}")
                : new DependencyStatus(false, string.Join("; ", down));
        }
    }

    public static string StreamName(string exchange) => StreamPrefix + exchange;

    public bool Retains(string exchange) => _tails.ContainsKey(exchange);

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

    public async ValueTask<IAsyncDisposable> ReplayAsync(string exchange, long after, RetainedHandler handler, ReplayEndHandler onEnd, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true } connection || !IsReady)
        {
            throw new BrokerUnavailableException($"the recovery streams at {_address} are not ready yet");
        }

        // No later than this instance's own tail, which lies before the marker: the reader meets the marker even when
        // the position is past the end, or past what this instance has read.
        // (The tail is known while a recovering watch of the instance is on the exchange, which a replay's member is;
        // unknown, the position itself is the start, and the clamp only keeps the offset arithmetic in range.)
        var tail = Tail(exchange).Offset;
        var readAfter = Math.Min(after, tail < 0 ? long.MaxValue - 1 : tail);
        var marker = NewMarkerId();
        RecoveryDiagnostics.ReplayStarted(_logger, StreamName(exchange), after, readAfter + 1, tail, marker);
        var reader = new StreamReader(this, exchange, new ReplaySink(this, exchange, after, marker, handler, onEnd), lastOffset: readAfter);
        try
        {
            await reader.StartAsync(connection, cancellationToken);
            await PublishMarkerAsync(connection, exchange, marker, Tail(exchange).Epoch, cancellationToken);
        }
        catch (Exception ex)
        {
            await reader.DisposeAsync();
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new BrokerUnavailableException($"could not read stream {StreamName(exchange)} at {_address}: {ex.Message}", ex);
        }

        return reader;
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

        var restating = RestateEpochsAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            await _recovered.WaitAsync(stoppingToken);
            if (_connection is { } connection)
            {
                // The streams may have been deleted (and re-created) while the connection was away.
                foreach (var exchange in _tails.Keys)
                {
                    await TryRefreshStreamAsync(connection, exchange, stoppingToken);
                }

                RecoveryDiagnostics.ReadersResumed(_logger, _readers.Count);
                foreach (var reader in _readers.Keys)
                {
                    await reader.ResumeAsync(connection, stoppingToken);
                }
            }
        }

        await restating.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Appends a marker stating each stream's epoch now and then (a quarter of <c>MaxAge</c>, at most a minute), so
    /// that retention never trims the last one away while this instance runs.
    /// </summary>
    private async Task RestateEpochsAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Min(_options.MaxAge.Ticks / 4, TimeSpan.FromMinutes(1).Ticks));
        using var timer = new PeriodicTimer(interval, _timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (_connection is not { IsOpen: true } connection)
            {
                continue;
            }

            foreach (var (exchange, tail) in _tails)
            {
                try
                {
                    await PublishMarkerAsync(connection, exchange, NewMarkerId(), tail.Epoch, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    RecoveryDiagnostics.ReaderFailed(_logger, StreamName(exchange), $"restating its epoch: {ex.Message}");
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifetime.CancelAsync();
        await base.StopAsync(cancellationToken);
        IsReady = false;
        foreach (var reader in _readers.Keys)
        {
            await reader.DisposeAsync();
        }

        if (_markerChannel is { } markerChannel)
        {
            _markerChannel = null;
            await markerChannel.DisposeAsync();
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
        _markerChannelLock.Dispose();
        _lifetime.Dispose();
        base.Dispose();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = await _factory.CreateConnectionAsync(_endpoints, _factory.ClientProvidedName, cancellationToken);
        try
        {
            // Only the streams: a tail reader starts with the first recovering watch of its exchange (TailState).
            foreach (var exchange in _tails.Keys)
            {
                await DeclareStreamAsync(connection, exchange, cancellationToken);
                await RefreshEpochAsync(connection, exchange, cancellationToken);
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
        RecoveryDiagnostics.Retaining(_logger, string.Join(", ", _tails.Keys), _options.MaxAge, _options.MaxBytes, "RabbitMQ streams",
            string.Join(", ", _tails.Select(static pair => $"{pair.Key}: {pair.Value.Epoch}")));
    }

    private static string NewMarkerId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// Appends a marker to <paramref name="exchange"/>'s stream, after every message stored so far, and waits for its
    /// confirm. Published to the stream alone (the default exchange), so only readers of the stream see it.
    /// </summary>
    private async Task PublishMarkerAsync(IConnection connection, string exchange, string marker, string? epoch, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(MarkerTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        IChannel channel;
        await _markerChannelLock.WaitAsync(linked.Token);
        try
        {
            if (_markerChannel is not { IsOpen: true } open || !ReferenceEquals(_markerChannelConnection, connection))
            {
                if (_markerChannel is not null)
                {
                    await _markerChannel.DisposeAsync();
                }

                _markerChannel = null;
                open = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), linked.Token);
                _markerChannel = open;
                _markerChannelConnection = connection;
            }

            channel = open;
        }
        finally
        {
            _markerChannelLock.Release();
        }

        // Every marker states the epoch it was written in, so the stream keeps saying which epoch it is.
        var properties = new BasicProperties
        {
            Type = MarkerType,
            MessageId = marker,
            Persistent = true,
            Headers = epoch is null ? null : new Dictionary<string, object?> { [EpochHeader] = epoch },
        };
        try
        {
            await channel.BasicPublishAsync(string.Empty, StreamName(exchange), mandatory: false, properties, ReadOnlyMemory<byte>.Empty, linked.Token);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the marker on stream {StreamName(exchange)} was not confirmed within {MarkerTimeout}", ex);
        }
    }

    /// <summary>
    /// Declares <paramref name="exchange"/>'s stream again (a deleted one is created anew) and reads its epoch; when
    /// the epoch changed, every reader of the stream learns that its offsets meant another stream. Failures are
    /// logged: the caller goes on and tries again later.
    /// </summary>
    private async Task<bool> TryRefreshStreamAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        try
        {
            await DeclareStreamAsync(connection, exchange, cancellationToken);
            await RefreshEpochAsync(connection, exchange, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RecoveryDiagnostics.ReaderFailed(_logger, StreamName(exchange), $"declaring it and reading its epoch: {ex.Message}");
            return false;
        }
    }

    private async Task RefreshEpochAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        var (epoch, proposed) = await DeriveEpochAsync(connection, exchange, cancellationToken);
        var tail = Tail(exchange);
        var previous = tail.Epoch;
        if (previous == epoch)
        {
            return;
        }

        tail.Epoch = epoch;
        RecoveryDiagnostics.EpochRead(_logger, StreamName(exchange), epoch, proposed, previous ?? "none");
        if (previous is not null)
        {
            tail.OnEpochChanged();
            foreach (var reader in _readers.Keys.Where(reader => reader.Exchange == exchange))
            {
                reader.OnEpochChanged();
            }
        }
    }

    /// <summary>
    /// A stream's epoch is the one stated by the first epoch marker it holds: a new stream (created, or deleted and
    /// created again) holds none, so the first instance to read it proposes one, and every instance, reading from the
    /// first offset, meets the same first proposal. The reader appends a probe marker once attached: reaching it with
    /// no epoch met means none is retained. docs/operations.md, "Recovery epochs".
    /// </summary>
    private async Task<(string Epoch, bool Proposed)> DeriveEpochAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(EpochTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probeReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = NewMarkerId();
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: linked.Token);
            await channel.BasicQosAsync(0, Prefetch, global: false, linked.Token);
            var consumer = new AsyncEventingBasicConsumer(channel);
            var unacked = 0;
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                if (delivery.BasicProperties.Type == MarkerType)
                {
                    if (EpochIn(delivery.BasicProperties.Headers) is { } epoch)
                    {
                        found.TrySetResult(epoch);
                    }
                    else if (delivery.BasicProperties.MessageId == probe)
                    {
                        probeReached.TrySetResult();
                    }
                }

                if (++unacked >= AckBatch)
                {
                    unacked = 0;
                    try
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true, CancellationToken.None);
                    }
                    catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
                    {
                        // The read is over, or the connection went: the caller sees it.
                    }
                }
            };
            var arguments = new Dictionary<string, object?> { ["x-stream-offset"] = "first" };
            await channel.BasicConsumeAsync(StreamName(exchange), autoAck: false, $"bridge-epoch-{Guid.NewGuid():N}", noLocal: false, exclusive: false, arguments, consumer, linked.Token);
            await PublishMarkerAsync(connection, exchange, probe, epoch: null, linked.Token);
            var proposed = false;
            if (await Task.WhenAny(found.Task, probeReached.Task).WaitAsync(linked.Token) != found.Task)
            {
                // None retained: propose one. A proposal of another instance may precede it; the first one wins everywhere.
                proposed = true;
                await PublishMarkerAsync(connection, exchange, NewMarkerId(), NewEpoch(), linked.Token);
            }

            var result = await found.Task.WaitAsync(linked.Token);
            return (result, proposed);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the epoch of stream {StreamName(exchange)} could not be read within {EpochTimeout}", ex);
        }
    }

    private static string NewEpoch() => Guid.NewGuid().ToString("N")[..12];

    // Only what a position can carry (RecoveryPosition): a marker written by anything else states no epoch.
    private static string? EpochIn(IDictionary<string, object?>? headers)
    {
        var text = headers is not null && headers.TryGetValue(EpochHeader, out var value) ? value switch
        {
            byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
            string plain => plain,
            _ => null,
        } : null;
        return text is { Length: > 0 and <= 32 } && text.All(char.IsAsciiLetterOrDigit) ? text : null;
    }

    /// <summary>
    /// A reader that RabbitMQ cancelled (basic.cancel: its stream was deleted, or the replica it read went away)
    /// resumes on its own, after its last offset, once the stream is declared again and its epoch read (a deleted
    /// stream comes back as a new one, of a new epoch). It waits before each attempt, the first included: the cause
    /// takes a moment to settle, and a stream that cannot be read must not be hammered. Meanwhile /readyz names it.
    /// </summary>
    private async Task ResumeCancelledAsync(StreamReader reader)
    {
        var token = _lifetime.Token;
        var delay = _rabbitOptions.ConnectRetryDelay;
        try
        {
            while (!reader.IsDisposed && reader.DownReason is not null)
            {
                await Task.Delay(delay, _timeProvider, token);
                if (_connection is { IsOpen: true } connection
                    && await TryRefreshStreamAsync(connection, reader.Exchange, token)
                    && await reader.TryResumeAsync(connection, token))
                {
                    RecoveryDiagnostics.ReaderResumed(_logger, StreamName(reader.Exchange), reader.LastOffset);
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _rabbitOptions.ConnectRetryMaxDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The bridge is stopping.
        }
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

    /// <summary>What a <see cref="StreamReader"/> hands its messages and markers to, one at a time, in stream order.</summary>
    private interface IStreamSink
    {
        void OnMessage(long offset, in BrokerDelivery delivery);

        void OnMarker(long offset, string? marker);

        /// <summary>The stream was deleted and created again: true to read the new one from its start, false to stop.</summary>
        bool OnEpochChanged();
    }

    /// <summary>
    /// This instance's view of one stream's tail: the offset it reached and who listens live. The reader that
    /// follows the tail starts with the first live subscriber, learns where the stream ends from a start marker of
    /// its own before that subscriber is told it is subscribed, and stops with the last subscriber (see the class
    /// remarks); a stopped reader's offset goes stale, so it is forgotten.
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
        private volatile string? _epoch;

        public string Exchange { get; } = exchange;

        /// <summary>The stream's epoch as last read (null before the first read).</summary>
        public string? Epoch
        {
            get => _epoch;
            set => _epoch = value;
        }

        /// <summary>The stream is another one now: the offset reached was the old one's.</summary>
        public void OnEpochChanged()
        {
            lock (_offsetLock)
            {
                _offset = -1;
            }
        }

        public ILogger Logger => log._logger;

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

        // From "next", then a start marker: "next" says nothing of where the stream ends, the marker's offset does.
        private async Task StartReaderAsync(LiveSubscriber subscriber, CancellationToken cancellationToken)
        {
            int generation;
            lock (_offsetLock)
            {
                generation = _generation;
            }

            var sink = new TailSink(this, generation, NewMarkerId());
            var reader = new StreamReader(log, Exchange, sink, lastOffset: null);
            try
            {
                if (log._connection is not { IsOpen: true } connection)
                {
                    throw new BrokerUnavailableException($"the recovery streams at {log._address} are not connected");
                }

                // Declared again and its epoch read: it may have been deleted, or deleted and created again, while
                // this instance did not follow it.
                await log.DeclareStreamAsync(connection, Exchange, cancellationToken);
                await log.RefreshEpochAsync(connection, Exchange, cancellationToken);
                await reader.StartAsync(connection, cancellationToken);
                await log.PublishMarkerAsync(connection, Exchange, sink.StartMarker, Epoch, cancellationToken);
                await sink.Started.WaitAsync(MarkerTimeout, log._timeProvider, cancellationToken);
            }
            catch (Exception ex)
            {
                ImmutableInterlocked.Update(ref _live, static (list, s) => list.Remove(s), subscriber);
                await reader.DisposeAsync();
                lock (_offsetLock)
                {
                    // Whatever the half-started reader saw is not followed any more.
                    _generation++;
                    _offset = -1;
                }

                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested || ex is BrokerUnavailableException)
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

        private bool TryAdvance(int generation, long offset)
        {
            // Before the dispatch, under the lock (a full fence): a subscriber that registered and then read the tail
            // sees either this offset (and replays it) or a smaller one (and receives it live).
            lock (_offsetLock)
            {
                if (generation != _generation)
                {
                    return false;
                }

                _offset = offset;
                return true;
            }
        }

        private void Dispatch(int generation, long offset, in BrokerDelivery delivery)
        {
            if (!TryAdvance(generation, offset))
            {
                return;
            }

            foreach (var subscriber in _live)
            {
                if (subscriber.Pattern.IsMatch(delivery.RoutingKey))
                {
                    subscriber.Handler(offset, delivery);
                }
            }
        }

        /// <summary>One tail reader's view: its generation (a stopped reader's late messages are dropped) and its start marker.</summary>
        private sealed class TailSink(TailState tail, int generation, string startMarker) : IStreamSink
        {
            private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public string StartMarker => startMarker;

            /// <summary>Completes when the reader has reached its start marker: the tail is known from then on.</summary>
            public Task Started => _started.Task;

            public void OnMessage(long offset, in BrokerDelivery delivery) => tail.Dispatch(generation, offset, delivery);

            // Everything in the new stream is news to the live subscribers.
            public bool OnEpochChanged() => true;

            public void OnMarker(long offset, string? marker)
            {
                if (tail.TryAdvance(generation, offset) && marker == startMarker)
                {
                    RecoveryDiagnostics.TailFollowed(tail.Logger, StreamName(tail.Exchange), offset);
                    _started.TrySetResult();
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

    /// <summary>
    /// One replay's view of its reader: messages after the position go to the handler until the replay's own marker,
    /// which ends it. The first offset read says whether the position is still retained, the marker's whether the
    /// position was past the end.
    /// </summary>
    private sealed class ReplaySink(RabbitMqRecoveryLog log, string exchange, long after, string marker, RetainedHandler handler, ReplayEndHandler onEnd) : IStreamSink
    {
        private bool _sawFirst;
        private long _first = -1;
        private bool _ended;

        public void OnMessage(long offset, in BrokerDelivery delivery)
        {
            if (_ended || !CheckFirst(offset) || offset <= after)
            {
                return;
            }

            handler(offset, delivery);
        }

        public void OnMarker(long offset, string? id)
        {
            if (_ended || !CheckFirst(offset) || id != marker)
            {
                return;
            }

            // A marker appended after the request outranks every position given out before it.
            End(offset <= after ? ReplayOutcome.BeyondEnd : ReplayOutcome.CaughtUp, offset);
        }

        // The position named the old stream: what it missed cannot be told any more.
        public bool OnEpochChanged()
        {
            if (!_ended)
            {
                End(ReplayOutcome.Trimmed, -1);
            }

            return false;
        }

        // The reader starts no later than the offset right after the position: a first offset above it means the
        // stream was trimmed past the position.
        private bool CheckFirst(long offset)
        {
            if (!_sawFirst)
            {
                _sawFirst = true;
                _first = offset;
                if (offset - 1 > after)
                {
                    End(ReplayOutcome.Trimmed, offset);
                    return false;
                }
            }

            return true;
        }

        private void End(ReplayOutcome outcome, long end)
        {
            _ended = true;
            RecoveryDiagnostics.ReplayEnded(log._logger, StreamName(exchange), after, outcome, end, _first);
            onEnd(outcome, end);
        }
    }

    /// <summary>One stream consumer: from an offset (a replay) or from the tail (the live reader), resumable.</summary>
    private sealed class StreamReader(RabbitMqRecoveryLog log, string exchange, IStreamSink sink, long? lastOffset) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private IChannel? _channel;
        private string? _consumerTag;
        private long _lastOffset = lastOffset ?? -1;
        private readonly bool _fromTail = lastOffset is null;
        private int _unacked;
        private volatile bool _disposed;
        private volatile bool _fromFirst;
        private volatile string? _downReason;

        public string Exchange => exchange;

        public bool IsDisposed => _disposed;

        public long LastOffset => Volatile.Read(ref _lastOffset);

        /// <summary>Why the reader is not reading now (RabbitMQ cancelled it), for /readyz; null while it reads.</summary>
        public string? DownReason => _downReason;

        /// <summary>The stream is a new one (its epoch changed): a tail reader reads it from its first offset, a replay ends.</summary>
        public void OnEpochChanged()
        {
            if (sink.OnEpochChanged())
            {
                Volatile.Write(ref _lastOffset, -1);
                _fromFirst = true;
            }
        }

        /// <summary>Consumes again after a cancellation; false when that failed (the caller tries again later).</summary>
        public async Task<bool> TryResumeAsync(IConnection connection, CancellationToken cancellationToken)
        {
            try
            {
                await ConsumeAsync(connection, cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                RecoveryDiagnostics.ReaderFailed(log._logger, StreamName(exchange), ex.Message);
                return false;
            }
        }

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
                var consumer = new CancellableConsumer(channel, OnCancelledByServer);
                consumer.ReceivedAsync += OnReceivedAsync;
                _consumerTag = $"bridge-recovery-{Guid.NewGuid():N}";
                var last = Volatile.Read(ref _lastOffset);
                object start = last >= 0 ? last + 1 : _fromFirst ? "first" : _fromTail ? "next" : 0L;
                var arguments = new Dictionary<string, object?> { ["x-stream-offset"] = start };
                _unacked = 0;
                RecoveryDiagnostics.ReaderConsuming(log._logger, StreamName(exchange), Convert.ToString(start, CultureInfo.InvariantCulture)!, _consumerTag, connection.Endpoint.ToString());
                await channel.BasicConsumeAsync(StreamName(exchange), autoAck: false, _consumerTag, noLocal: false, exclusive: false, arguments, consumer, cancellationToken);
                _fromFirst = false;
                _downReason = null;
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>
        /// basic.cancel from RabbitMQ (this reader never cancels its own consumer: it closes its channel). Only the
        /// current consumer counts; the reader then resumes on its own (<see cref="ResumeCancelledAsync"/>).
        /// </summary>
        private void OnCancelledByServer(string consumerTag)
        {
            if (_disposed || consumerTag != _consumerTag)
            {
                return;
            }

            var last = Volatile.Read(ref _lastOffset);
            _downReason = $"the reader of stream {StreamName(exchange)} was cancelled by RabbitMQ after offset {last}; resuming";
            RecoveryDiagnostics.ReaderCancelled(log._logger, StreamName(exchange), last);
            _ = Task.Run(() => log.ResumeCancelledAsync(this));
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
                try
                {
                    if (delivery.BasicProperties.Type == MarkerType)
                    {
                        sink.OnMarker(value, delivery.BasicProperties.MessageId);
                    }
                    else
                    {
                        var message = new BrokerDelivery(exchange, delivery.RoutingKey, delivery.Body, ReceivedTimestamp: Stopwatch.GetTimestamp())
                        {
                            MessageId = delivery.BasicProperties.MessageId,
                        };
                        sink.OnMessage(value, message);
                    }
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

    /// <summary>
    /// A consumer that tells a server's basic.cancel apart: <see cref="AsyncEventingBasicConsumer"/> raises the same
    /// event for it and for its channel's shutdown, which the readers handle otherwise (connection recovery).
    /// </summary>
    private sealed class CancellableConsumer(IChannel channel, Action<string> onCancelledByServer) : AsyncEventingBasicConsumer(channel)
    {
        public override async Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
        {
            onCancelledByServer(consumerTag);
            await base.HandleBasicCancelAsync(consumerTag, cancellationToken);
        }
    }
}
