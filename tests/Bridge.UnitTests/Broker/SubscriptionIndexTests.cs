using System.Text;
using Bridge.Broker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Broker;

public class SubscriptionIndexTests
{
    private readonly SubscriptionIndex _index = new(NullLogger.Instance);

    private static BrokerDelivery Delivery(string exchange, string routingKey) =>
        new(exchange, routingKey, Encoding.UTF8.GetBytes("{}"));

    [Fact]
    public void Add_SameExchangeAndKeyTwice_SharesOneBindingAndCountsReferences()
    {
        var first = _index.Add("on.events", "graph.#", static (in BrokerDelivery _) => { });
        var second = _index.Add("on.events", "graph.#", static (in BrokerDelivery _) => { });

        Assert.True(first.IsNewBinding);
        Assert.False(second.IsNewBinding);
        Assert.Equal(2, _index.SubscriberCount("on.events", "graph.#"));
        Assert.Equal([new BrokerBinding("on.events", "graph.#")], _index.GetBindings());

        Assert.False(_index.Remove(first.Subscriber));
        Assert.Equal(1, _index.SubscriberCount("on.events", "graph.#"));
        Assert.True(_index.Remove(second.Subscriber));
        Assert.Equal(0, _index.SubscriberCount("on.events", "graph.#"));
        Assert.Empty(_index.GetBindings());
    }

    [Fact]
    public void Remove_Twice_IsCountedOnce()
    {
        var first = _index.Add("x", "a", static (in BrokerDelivery _) => { });
        _index.Add("x", "a", static (in BrokerDelivery _) => { });

        Assert.False(_index.Remove(first.Subscriber));
        Assert.False(_index.Remove(first.Subscriber));
        Assert.Equal(1, _index.SubscriberCount("x", "a"));
    }

    [Fact]
    public void Dispatch_CallsOnlyHandlersWhoseExchangeAndPatternMatch()
    {
        var received = new List<string>();
        _index.Add("on.events", "graph.*", (in BrokerDelivery d) => received.Add("graph.*:" + d.RoutingKey));
        _index.Add("on.events", "#", (in BrokerDelivery d) => received.Add("#:" + d.RoutingKey));
        _index.Add("on.logging", "#", (in BrokerDelivery d) => received.Add("logging:" + d.RoutingKey));

        var called = _index.Dispatch(Delivery("on.events", "graph.started"));
        _index.Dispatch(Delivery("on.events", "node.discovered"));
        _index.Dispatch(Delivery("unknown", "graph.started"));

        // Messages arrive in order; the bindings one message matches are called in no particular order.
        Assert.Equal(2, called);
        Assert.Equal(["#:graph.started", "graph.*:graph.started"], received[..2].Order(StringComparer.Ordinal));
        Assert.Equal(["#:node.discovered"], received[2..]);
    }

    [Fact]
    public void Dispatch_HandlerThrows_OtherHandlersStillReceive()
    {
        var received = 0;
        _index.Add("x", "#", static (in BrokerDelivery _) => throw new InvalidOperationException("boom"));
        _index.Add("x", "#", (in BrokerDelivery _) => received++);
        _index.Add("x", "a", (in BrokerDelivery _) => received++);

        var called = _index.Dispatch(Delivery("x", "a"));

        Assert.Equal(3, called);
        Assert.Equal(2, received);
    }

    [Fact]
    public void Dispatch_HandlerSubscribesDuringDispatch_DoesNotBreakTheDelivery()
    {
        var received = 0;
        _index.Add("x", "#", (in BrokerDelivery _) =>
        {
            received++;
            _index.Add("x", "#", (in BrokerDelivery _) => received += 100);
        });

        _index.Dispatch(Delivery("x", "a"));

        // The snapshot taken for this delivery does not include the new subscriber.
        Assert.Equal(1, received);
        Assert.Equal(2, _index.SubscriberCount("x", "#"));
    }

    [Fact]
    public void Add_InvalidExchangeOrKey_ThrowsWithoutRegistering()
    {
        Assert.Throws<ArgumentException>(() => _index.Add("", "a", static (in BrokerDelivery _) => { }));
        Assert.Throws<ArgumentException>(() => _index.Add("x", new string('a', 256), static (in BrokerDelivery _) => { }));
        Assert.Empty(_index.GetBindings());
    }

    [Fact]
    public async Task AddAndRemove_Concurrently_LeavesConsistentCountsAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var registration = _index.Add("x", "k." + (i % 7), static (in BrokerDelivery _) => { });
                _index.Dispatch(Delivery("x", "k.1"));
                _index.Remove(registration.Subscriber);
            }
        }, timeout.Token));

        await Task.WhenAll(workers).WaitAsync(timeout.Token);

        Assert.Empty(_index.GetBindings());
    }

    [Fact]
    public async Task Dispatch_WhileOthersSubscribeAndLeave_ReachesEveryStableSubscriberExactlyOnceAsync()
    {
        // Stable subscribers on distinct keys (one recipient per message, as N distinct watches are) and on a
        // shared one, while writers add and remove bindings and subscribers around them (issue 17).
        const int Stable = 200;
        var counts = new int[Stable];
        var shared = 0;
        for (var i = 0; i < Stable; i++)
        {
            var slot = i;
            _index.Add("on.logging", $"node-{i}.#", (in BrokerDelivery _) => Interlocked.Increment(ref counts[slot]));
        }

        _index.Add("on.logging", "*.log", (in BrokerDelivery _) => Interlocked.Increment(ref shared));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stop = new CancellationTokenSource();
        var churn = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                // Same keys as the stable ones (shared entries), new keys (new trie nodes) and wildcard ones.
                var key = random.Next(3) switch
                {
                    0 => $"node-{random.Next(Stable)}.#",
                    1 => $"node-{Stable + random.Next(1000)}.#",
                    _ => "#.log." + random.Next(50),
                };
                var registration = _index.Add("on.logging", key, static (in BrokerDelivery _) => { });
                _index.Remove(registration.Subscriber);
            }
        }, timeout.Token)).ToList();

        const int Rounds = 50;
        await Task.Run(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < Stable; i++)
                {
                    _index.Dispatch(Delivery("on.logging", $"node-{i}.log"));
                }
            }
        }, timeout.Token).WaitAsync(timeout.Token);
        await stop.CancelAsync();
        await Task.WhenAll(churn).WaitAsync(timeout.Token);

        Assert.All(counts, count => Assert.Equal(Rounds, count));
        Assert.Equal(Rounds * Stable, shared);
        Assert.Equal(Stable + 1, _index.GetBindings().Count);
        Assert.All(Enumerable.Range(0, Stable), i => Assert.Equal(1, _index.SubscriberCount("on.logging", $"node-{i}.#")));
    }

    [Fact]
    public void AddAndRemove_ManySubscribersOfOneBinding_KeepsCountsAndDeliversToTheLiveOnes()
    {
        // Removing leaves tombstones that are compacted away later: the live ones must all still be called.
        var received = new HashSet<int>();
        var registrations = Enumerable.Range(0, 1000)
            .Select(i => _index.Add("x", "k", (in BrokerDelivery _) => received.Add(i)).Subscriber)
            .ToList();
        for (var i = 0; i < 1000; i += 3)
        {
            _index.Remove(registrations[i]);
        }

        var called = _index.Dispatch(Delivery("x", "k"));

        var live = Enumerable.Range(0, 1000).Where(i => i % 3 != 0).ToHashSet();
        Assert.Equal(live.Count, called);
        Assert.True(live.SetEquals(received));
        Assert.Equal(live.Count, _index.SubscriberCount("x", "k"));
    }
}
