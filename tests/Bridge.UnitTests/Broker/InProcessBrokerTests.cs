using System.Text;
using Bridge.Broker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Broker;

public class InProcessBrokerTests
{
    private readonly InProcessBroker _broker = new(NullLogger<InProcessBroker>.Instance);

    [Fact]
    public void Status_IsAlwaysReady()
    {
        Assert.True(_broker.Status.IsReady);
        Assert.Equal("in-process broker", _broker.Status.Description);
    }

    [Fact]
    public async Task Publish_WithWildcardSubscription_DeliversMatchingKeysOnlyAsync()
    {
        var received = new List<(string Key, string Body)>();
        await using var subscription = await _broker.SubscribeAsync("on.events", "graph.*.information.#",
            (in BrokerDelivery d) => received.Add((d.RoutingKey, Encoding.UTF8.GetString(d.Body.Span))), CancellationToken.None);

        await _broker.PublishAsync("on.events", "graph.progress.information.g1.n1", "{\"a\":1}"u8.ToArray(), CancellationToken.None);
        await _broker.PublishAsync("on.events", "graph.progress.warning.g1", "{}"u8.ToArray(), CancellationToken.None);
        await _broker.PublishAsync("on.logging", "graph.progress.information.g1", "{}"u8.ToArray(), CancellationToken.None);

        Assert.Equal([("graph.progress.information.g1.n1", "{\"a\":1}")], received);
    }

    [Fact]
    public async Task PublishToExisting_ToAnExchangeNeverUsed_ThrowsExchangeNotFoundAndDeliversNothingAsync()
    {
        var received = 0;
        await using var subscription = await _broker.SubscribeAsync("used", "#", (in BrokerDelivery _) => received++, CancellationToken.None);

        var error = await Assert.ThrowsAsync<ExchangeNotFoundException>(
            () => _broker.PublishToExistingAsync("never.used", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None).AsTask());

        Assert.Equal("never.used", error.Exchange);
        Assert.Equal(0, received);
    }

    [Fact]
    public async Task PublishToExisting_ToSubscribedDeclaredOrPredeclaredExchanges_DeliversAsync()
    {
        var received = new List<string>();
        await using var subscribed = await _broker.SubscribeAsync("subscribed", "#", (in BrokerDelivery d) => received.Add(d.Exchange), CancellationToken.None);
        await using var topic = await _broker.SubscribeAsync("amq.topic", "#", (in BrokerDelivery d) => received.Add(d.Exchange), CancellationToken.None);
        await _broker.PublishAsync("declared", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        await using var declared = await _broker.SubscribeAsync("declared", "#", (in BrokerDelivery d) => received.Add(d.Exchange), CancellationToken.None);

        await _broker.PublishToExistingAsync("subscribed", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        await _broker.PublishToExistingAsync("declared", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        await _broker.PublishToExistingAsync("amq.topic", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Equal(["subscribed", "declared", "amq.topic"], received);
    }

    [Fact]
    public async Task Publish_AfterDispose_IsNotDeliveredAsync()
    {
        var received = 0;
        var subscription = await _broker.SubscribeAsync("x", "#", (in BrokerDelivery _) => received++, CancellationToken.None);
        await _broker.PublishAsync("x", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        await subscription.DisposeAsync();
        await subscription.DisposeAsync();
        await _broker.PublishAsync("x", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Equal(1, received);
        Assert.Empty(_broker.Index.GetBindings());
    }

    [Fact]
    public async Task Subscribe_SameKeyTwice_ReferenceCountsTheBindingAsync()
    {
        var first = await _broker.SubscribeAsync("x", "a.*", static (in BrokerDelivery _) => { }, CancellationToken.None);
        var second = await _broker.SubscribeAsync("x", "a.*", static (in BrokerDelivery _) => { }, CancellationToken.None);
        Assert.Equal(2, _broker.Index.SubscriberCount("x", "a.*"));

        await first.DisposeAsync();
        Assert.Equal(1, _broker.Index.SubscriberCount("x", "a.*"));
        await second.DisposeAsync();
        Assert.Equal(0, _broker.Index.SubscriberCount("x", "a.*"));
    }

    [Fact]
    public async Task Publish_HandlerThrows_OtherSubscribersStillReceiveAndPublishSucceedsAsync()
    {
        var received = 0;
        await using var failing = await _broker.SubscribeAsync("x", "#", static (in BrokerDelivery _) => throw new InvalidOperationException("boom"), CancellationToken.None);
        await using var working = await _broker.SubscribeAsync("x", "#", (in BrokerDelivery _) => received++, CancellationToken.None);

        await _broker.PublishAsync("x", "a", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        await _broker.PublishAsync("x", "b", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Equal(2, received);
    }

    [Fact]
    public async Task Publish_InvalidRoutingKey_IsRefusedAsync()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await _broker.PublishAsync("x", new string('a', 256), ReadOnlyMemory<byte>.Empty, CancellationToken.None));
    }
}
