using System.Collections.Immutable;
using Microsoft.Extensions.Options;

namespace Bridge.Broker.Recovery;

/// <summary>
/// The embedded broker's recovery log: each retained exchange's messages kept in memory (copied), trimmed by
/// <c>Bridge:Recovery:MaxAge</c> and <c>MaxBytes</c>. It listens to the broker like any subscriber (<c>#</c> on
/// each retained exchange), so the in-process broker needs no hook. Its epoch is new at every start: the memory
/// does not outlive the process, and neither may the positions.
/// </summary>
internal sealed class InMemoryRecoveryLog(
    IBroker broker,
    RetainedExchanges exchanges,
    IOptions<RecoveryOptions> options,
    TimeProvider timeProvider,
    ILogger<InMemoryRecoveryLog> logger) : IHostedService, IRecoveryLog, IAsyncDisposable
{
    private readonly RecoveryOptions _options = options.Value;
    private readonly Dictionary<string, ExchangeLog> _logs = exchanges.Names.ToDictionary(
        static name => name, name => new ExchangeLog(name, options.Value, timeProvider, logger), StringComparer.Ordinal);

    private readonly List<IAsyncDisposable> _subscriptions = [];

    public string Epoch { get; } = Guid.NewGuid().ToString("N")[..12];

    public string EpochOf(string exchange) => Epoch;

    public DependencyStatus Status => new(true, $"in memory, epoch {Epoch}");

    public bool Retains(string exchange) => _logs.ContainsKey(exchange);

    public ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, RetainedHandler handler, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Log(exchange).Subscribe(TopicPattern.Compile(bindingKey), handler));
    }

    public ValueTask<IAsyncDisposable> ReplayAsync(string exchange, long after, RetainedHandler handler, ReplayEndHandler onEnd, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Log(exchange).Replay(after, handler, onEnd));
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var log in _logs.Values)
        {
            _subscriptions.Add(await broker.SubscribeAsync(log.Exchange, "#", log.Append, cancellationToken));
        }

        RecoveryDiagnostics.Retaining(logger, string.Join(", ", _logs.Keys), _options.MaxAge, _options.MaxBytes, "memory", Epoch);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync();
        }

        _subscriptions.Clear();
    }

    private ExchangeLog Log(string exchange) =>
        _logs.TryGetValue(exchange, out var log) ? log : throw new ArgumentException($"exchange '{exchange}' is not retained", nameof(exchange));

    private sealed record Entry(long Offset, string RoutingKey, byte[] Body, string? MessageId, DateTimeOffset At);

    private sealed record LiveSubscriber(TopicPattern Pattern, RetainedHandler Handler);

    private sealed class ExchangeLog(string exchange, RecoveryOptions options, TimeProvider timeProvider, ILogger logger)
    {
        // One lock orders appends and their dispatch: concurrent publishers get consecutive offsets, delivered in that order.
        private readonly object _lock = new();
        private readonly LinkedList<Entry> _entries = new();
        private ImmutableArray<LiveSubscriber> _live = [];
        private long _next;
        private long _bytes;

        public string Exchange { get; } = exchange;

        public void Append(in BrokerDelivery delivery)
        {
            lock (_lock)
            {
                var entry = new Entry(_next++, delivery.RoutingKey, delivery.Body.ToArray(), delivery.MessageId, timeProvider.GetUtcNow());
                _entries.AddLast(entry);
                _bytes += entry.Body.Length;
                Trim(entry.At);
                var retained = new BrokerDelivery(Exchange, entry.RoutingKey, entry.Body, delivery.TraceContext, delivery.ReceivedTimestamp) { MessageId = entry.MessageId };
                foreach (var subscriber in _live)
                {
                    if (subscriber.Pattern.IsMatch(entry.RoutingKey))
                    {
                        Invoke(subscriber.Handler, entry.Offset, retained);
                    }
                }
            }
        }

        public IAsyncDisposable Subscribe(TopicPattern pattern, RetainedHandler handler)
        {
            var subscriber = new LiveSubscriber(pattern, handler);
            lock (_lock)
            {
                _live = _live.Add(subscriber);
            }

            return new Unsubscriber(this, subscriber);
        }

        public IAsyncDisposable Replay(long after, RetainedHandler handler, ReplayEndHandler onEnd)
        {
            List<Entry> pending;
            long firstRetained;
            long end;
            lock (_lock)
            {
                // The end is taken under the append lock: every later offset is dispatched to the live subscribers.
                Trim(timeProvider.GetUtcNow());
                end = _next - 1;
                firstRetained = _entries.First?.Value.Offset ?? _next;
                pending = [.. _entries.Where(entry => entry.Offset > after)];
            }

            var outcome = after > end ? ReplayOutcome.BeyondEnd
                : firstRetained > after + 1 ? ReplayOutcome.Trimmed
                : ReplayOutcome.CaughtUp;
            if (outcome != ReplayOutcome.CaughtUp)
            {
                pending.Clear();
            }

            // Off the caller's thread, like a stream reader: the handler may stop the replay from inside a delivery.
            var reader = new ListReader(Exchange, pending, handler, () => onEnd(outcome, end), logger);
            reader.Start();
            return reader;
        }

        private void Remove(LiveSubscriber subscriber)
        {
            lock (_lock)
            {
                _live = _live.Remove(subscriber);
            }
        }

        private void Trim(DateTimeOffset now)
        {
            var oldest = now - options.MaxAge;
            while (_entries.First is { } first && (first.Value.At < oldest || _bytes > options.MaxBytes))
            {
                _bytes -= first.Value.Body.Length;
                _entries.RemoveFirst();
            }
        }

        private void Invoke(RetainedHandler handler, long offset, in BrokerDelivery delivery)
        {
            try
            {
                handler(offset, delivery);
            }
            catch (Exception ex)
            {
                RecoveryDiagnostics.HandlerFailed(logger, Exchange, offset, ex);
            }
        }

        private sealed class Unsubscriber(ExchangeLog log, LiveSubscriber subscriber) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                log.Remove(subscriber);
                return ValueTask.CompletedTask;
            }
        }
    }

    /// <summary>Delivers a copied slice of the log on the thread pool, then says it has ended, unless disposed first.</summary>
    private sealed class ListReader(string exchange, List<Entry> entries, RetainedHandler handler, Action onEnd, ILogger logger) : IAsyncDisposable
    {
        private volatile bool _stopped;

        public void Start() => _ = Task.Run(Run);

        /// <summary>
        /// Stops before the next entry. It does not wait for the loop: it is called from inside a delivery when the
        /// replay reaches its seam, and the loop never blocks, so it ends on its own at once.
        /// </summary>
        public ValueTask DisposeAsync()
        {
            _stopped = true;
            return ValueTask.CompletedTask;
        }

        private void Run()
        {
            foreach (var entry in entries)
            {
                if (_stopped)
                {
                    return;
                }

                try
                {
                    handler(entry.Offset, new BrokerDelivery(exchange, entry.RoutingKey, entry.Body) { MessageId = entry.MessageId });
                }
                catch (Exception ex)
                {
                    RecoveryDiagnostics.HandlerFailed(logger, exchange, entry.Offset, ex);
                }
            }

            if (!_stopped)
            {
                onEnd();
            }
        }
    }
}
