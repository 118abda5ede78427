namespace Bridge.Broker;

/// <summary>One broker binding: messages on <paramref name="Exchange"/> whose routing key matches <paramref name="BindingKey"/>.</summary>
public readonly record struct BrokerBinding(string Exchange, string BindingKey);

/// <summary>
/// The in-process fan-out shared by both brokers: exchange → binding keys → subscribers. Writers
/// (subscribe, dispose) serialize on a lock and publish new immutable arrays; the delivery path reads
/// whatever snapshot is current and takes no lock. Subscribers of the same (exchange, binding key) share
/// one entry, so the entry's subscriber count is the reference count of the real broker binding.
/// </summary>
public sealed partial class SubscriptionIndex(ILogger logger)
{
    private readonly Lock _gate = new();

    // Replaced (never mutated) under _gate; read without a lock by Dispatch.
    private volatile Dictionary<string, BindingEntry[]> _byExchange = new(StringComparer.Ordinal);

    /// <summary>A registered handler. Identity matters: the same delegate subscribed twice is two subscriptions.</summary>
    public sealed class Subscription
    {
        private int _removed;

        internal Subscription(BindingEntry entry, DeliveryHandler handler)
        {
            Entry = entry;
            Handler = handler;
        }

        public BrokerBinding Binding => Entry.Binding;

        internal BindingEntry Entry { get; }

        internal DeliveryHandler Handler { get; }

        internal bool IsRemoved => Volatile.Read(ref _removed) != 0;

        internal bool MarkRemoved() => Interlocked.Exchange(ref _removed, 1) == 0;
    }

    internal sealed class BindingEntry(BrokerBinding binding, TopicPattern pattern)
    {
        private volatile Subscription[] _subscribers = [];

        public BrokerBinding Binding { get; } = binding;

        public TopicPattern Pattern { get; } = pattern;

        public Subscription[] Subscribers
        {
            get => _subscribers;
            set => _subscribers = value;
        }
    }

    /// <summary>The result of <see cref="Add"/>: <see cref="IsNewBinding"/> says the broker must add the binding.</summary>
    public readonly record struct Registration(Subscription Subscription, bool IsNewBinding);

    /// <summary>Registers <paramref name="handler"/>. Throws <see cref="ArgumentException"/> on an invalid exchange or key.</summary>
    public Registration Add(string exchange, string bindingKey, DeliveryHandler handler)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);

        lock (_gate)
        {
            var map = _byExchange;
            map.TryGetValue(exchange, out var entries);
            entries ??= [];
            var entry = Array.Find(entries, e => string.Equals(e.Binding.BindingKey, bindingKey, StringComparison.Ordinal));
            var isNew = entry is null;
            if (entry is null)
            {
                entry = new BindingEntry(new BrokerBinding(exchange, bindingKey), TopicPattern.Compile(bindingKey));
                _byExchange = new Dictionary<string, BindingEntry[]>(map, StringComparer.Ordinal) { [exchange] = [.. entries, entry] };
            }

            var subscription = new Subscription(entry, handler);
            entry.Subscribers = [.. entry.Subscribers, subscription];
            return new Registration(subscription, isNew);
        }
    }

    /// <summary>
    /// Unregisters <paramref name="subscription"/>. Returns true when it was the last one of its binding
    /// (the broker must remove the binding); false otherwise, also when it was already removed.
    /// </summary>
    public bool Remove(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!subscription.MarkRemoved())
        {
            return false;
        }

        lock (_gate)
        {
            var entry = subscription.Entry;
            var remaining = Array.FindAll(entry.Subscribers, s => !ReferenceEquals(s, subscription));
            entry.Subscribers = remaining;
            if (remaining.Length > 0)
            {
                return false;
            }

            var map = _byExchange;
            var exchange = entry.Binding.Exchange;
            var entries = Array.FindAll(map[exchange], e => !ReferenceEquals(e, entry));
            var copy = new Dictionary<string, BindingEntry[]>(map, StringComparer.Ordinal);
            if (entries.Length == 0)
            {
                copy.Remove(exchange);
            }
            else
            {
                copy[exchange] = entries;
            }

            _byExchange = copy;
            return true;
        }
    }

    /// <summary>The bindings that have at least one subscription right now.</summary>
    public IReadOnlyList<BrokerBinding> GetBindings() =>
        [.. _byExchange.Values.SelectMany(entries => entries).Select(e => e.Binding)];

    /// <summary>How many subscriptions share the binding (its reference count); 0 when it has none.</summary>
    public int SubscriberCount(string exchange, string bindingKey)
    {
        if (!_byExchange.TryGetValue(exchange, out var entries))
        {
            return 0;
        }

        var entry = Array.Find(entries, e => string.Equals(e.Binding.BindingKey, bindingKey, StringComparison.Ordinal));
        return entry?.Subscribers.Length ?? 0;
    }

    /// <summary>
    /// Calls every handler whose binding matches, synchronously, on the caller's thread. A handler that
    /// throws is logged and skipped: it must not cost the other handlers or the broker consumer a message.
    /// Returns how many handlers were called.
    /// </summary>
    public int Dispatch(in BrokerDelivery delivery)
    {
        if (!_byExchange.TryGetValue(delivery.Exchange, out var entries))
        {
            return 0;
        }

        var called = 0;
        foreach (var entry in entries)
        {
            if (!entry.Pattern.IsMatch(delivery.RoutingKey))
            {
                continue;
            }

            foreach (var subscription in entry.Subscribers)
            {
                if (subscription.IsRemoved)
                {
                    continue;
                }

                called++;
                try
                {
                    subscription.Handler(in delivery);
                }
                catch (Exception ex)
                {
                    Log.HandlerFailed(logger, ex, delivery.Exchange, delivery.RoutingKey, entry.Binding.BindingKey);
                }
            }
        }

        return called;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, EventName = "BrokerHandlerFailed", Level = LogLevel.Error,
            Message = "A subscriber of {Exchange}/{BindingKey} threw on a message with routing key {RoutingKey}; the other subscribers still get it")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string exchange, string routingKey, string bindingKey);
    }
}
