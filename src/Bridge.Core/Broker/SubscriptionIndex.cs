using Bridge.Connections;

namespace Bridge.Broker;

/// <summary>
/// The in-process fan-out shared by both brokers: exchange → a <see cref="TopicTrie{TValue}"/> of binding keys →
/// subscribers. Writers (subscribe, dispose) serialize on a lock; the delivery path takes no lock (the trie's
/// and the subscriber lists' reads are lock-free). Routing a message walks the trie along its words, so its
/// cost does not grow with the bindings it does not match (issue 17). Subscribers of the same (exchange,
/// binding key) share one entry, so the entry's subscriber count is the reference count of the real broker binding.
/// </summary>
public sealed partial class SubscriptionIndex(ILogger logger)
{
    [ThreadStatic]
    private static List<BindingEntry>? _threadMatches;

    private readonly Lock _gate = new();

    // Replaced (never mutated) under _gate when an exchange comes or goes (rare); read without a lock by Dispatch.
    private volatile Dictionary<string, TopicTrie<BindingEntry>> _byExchange = new(StringComparer.Ordinal);

    /// <summary>
    /// A handler registered for one binding (what <see cref="IBrokerSubscription"/> handles hold). Identity matters:
    /// the same delegate subscribed twice is two subscribers.
    /// </summary>
    public sealed class Subscriber
    {
        private int _removed;

        internal Subscriber(BindingEntry entry, DeliveryHandler handler)
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

    internal sealed class BindingEntry(BrokerBinding binding)
    {
        public BrokerBinding Binding { get; } = binding;

        public SubscriberList Subscribers { get; } = new();
    }

    /// <summary>The result of <see cref="Add"/>: <see cref="IsNewBinding"/> says the broker must add the binding.</summary>
    public readonly record struct Registration(Subscriber Subscriber, bool IsNewBinding);

    /// <summary>Registers <paramref name="handler"/>. Throws <see cref="ArgumentException"/> on an invalid exchange or key.</summary>
    /// <remarks>O(words of the key), whatever the number of other bindings and subscribers.</remarks>
    public Registration Add(string exchange, string bindingKey, DeliveryHandler handler)
    {
        ExchangeName.Validate(exchange, nameof(exchange));
        TopicPattern.Validate(bindingKey, nameof(bindingKey));
        ArgumentNullException.ThrowIfNull(handler);

        lock (_gate)
        {
            var map = _byExchange;
            if (!map.TryGetValue(exchange, out var trie))
            {
                trie = new TopicTrie<BindingEntry>();
                _byExchange = new Dictionary<string, TopicTrie<BindingEntry>>(map, StringComparer.Ordinal) { [exchange] = trie };
            }

            var entry = trie.Find(bindingKey);
            var isNew = entry is null;
            entry ??= new BindingEntry(new BrokerBinding(exchange, bindingKey));
            var subscriber = new Subscriber(entry, handler);

            // The subscriber first, then the entry into the trie: a delivery that finds the entry finds its subscriber.
            entry.Subscribers.Add(subscriber);
            if (isNew)
            {
                trie.GetOrAdd(bindingKey, () => entry, out _);
            }

            return new Registration(subscriber, isNew);
        }
    }

    /// <summary>
    /// Unregisters <paramref name="subscriber"/>. Returns true when it was the last one of its binding
    /// (the broker must remove the binding); false otherwise, also when it was already removed.
    /// </summary>
    public bool Remove(Subscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        if (!subscriber.MarkRemoved())
        {
            return false;
        }

        lock (_gate)
        {
            var entry = subscriber.Entry;
            if (entry.Subscribers.Remove() > 0)
            {
                return false;
            }

            var map = _byExchange;
            var exchange = entry.Binding.Exchange;
            var trie = map[exchange];
            trie.Remove(entry.Binding.BindingKey);
            if (trie.IsEmpty)
            {
                var copy = new Dictionary<string, TopicTrie<BindingEntry>>(map, StringComparer.Ordinal);
                copy.Remove(exchange);
                _byExchange = copy;
            }

            return true;
        }
    }

    /// <summary>The bindings that have at least one subscriber right now.</summary>
    public IReadOnlyList<BrokerBinding> GetBindings()
    {
        lock (_gate)
        {
            return [.. _byExchange.Values.SelectMany(trie => trie.Values()).Select(e => e.Binding)];
        }
    }

    /// <summary>How many subscribers share the binding (its reference count); 0 when it has none.</summary>
    public int SubscriberCount(string exchange, string bindingKey)
    {
        lock (_gate)
        {
            return _byExchange.TryGetValue(exchange, out var trie) ? trie.Find(bindingKey)?.Subscribers.LiveCount ?? 0 : 0;
        }
    }

    /// <summary>
    /// Calls every handler whose binding matches, synchronously, on the caller's thread. A handler that
    /// throws is logged and skipped: it must not cost the other handlers or the broker consumer a message.
    /// Returns how many handlers were called.
    /// </summary>
    public int Dispatch(in BrokerDelivery delivery)
    {
        if (!_byExchange.TryGetValue(delivery.Exchange, out var trie))
        {
            return 0;
        }

        // One recipient of the message may be written on this thread (a one-member watch spares a worker's wake-up);
        // every other is queued to its connection's send loop, so a fan-out never runs on the dispatch thread.
        using var inlineSends = InlineSendAllowance.Grant(1);

        // Rented, not borrowed: a handler that publishes in process dispatches again on this thread.
        var matches = _threadMatches ?? [];
        _threadMatches = null;
        try
        {
            trie.Match(delivery.RoutingKey, matches);
            var called = 0;
            foreach (var entry in matches)
            {
                foreach (var subscriber in entry.Subscribers.Current)
                {
                    if (subscriber.IsRemoved)
                    {
                        continue;
                    }

                    called++;
                    try
                    {
                        subscriber.Handler(in delivery);
                    }
                    catch (Exception ex)
                    {
                        Log.HandlerFailed(logger, ex, delivery.Exchange, delivery.RoutingKey, entry.Binding.BindingKey);
                    }
                }
            }

            return called;
        }
        finally
        {
            matches.Clear();
            _threadMatches = matches;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, EventName = "BrokerHandlerFailed", Level = LogLevel.Error,
            Message = "A subscriber of {Exchange}/{BindingKey} threw on a message with routing key {RoutingKey}; the other subscribers still get it")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string exchange, string routingKey, string bindingKey);
    }
}
