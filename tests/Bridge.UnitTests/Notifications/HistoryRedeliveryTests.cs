using System.Text;
using Bridge.Broker;
using Bridge.Documents;
using Bridge.Notifications;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Notifications;

/// <summary>
/// The history keeps each broker message once: a redelivery (a consumer whose node died after storing but before
/// its acknowledgement arrived) of a message already stored is acknowledged without a second copy.
/// </summary>
public sealed class HistoryRedeliveryTests : IAsyncLifetime
{
    private const string Body = """{"type":"webhook_tx","sub_type":null,"id":"tx-1","status":"success","message":"m","ts_display":0,"on_step":1,"total_steps":1,"by":"u"}""";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bridge-history-" + Guid.NewGuid().ToString("N"));
    private readonly QueueCapturingBroker _broker = new();
    private EmbeddedDocumentStore _store = null!;
    private NotificationHistory _history = null!;
    private HistoryRecorder _recorder = null!;

    public async Task InitializeAsync()
    {
        _store = new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = false }, _directory, TimeProvider.System, NullLogger<EmbeddedDocumentStore>.Instance);
        var options = Options.Create(new NotificationOptions());
        _history = new NotificationHistory(_store, options, TimeProvider.System);
        _recorder = new HistoryRecorder(_broker, _history, options, NullLogger<HistoryRecorder>.Instance);
        await _recorder.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _recorder.StopAsync(CancellationToken.None);
        _store.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task ARedeliveryOfAStoredMessage_IsAcknowledged_AndNotStoredAgain()
    {
        Assert.True(await DeliverAsync("m1", redelivered: false));
        Assert.True(await DeliverAsync("m1", redelivered: true));

        Assert.Equal(1, await StoredCountAsync());
    }

    [Fact]
    public async Task ARedeliveryOfAMessageNeverStored_IsStored()
    {
        Assert.True(await DeliverAsync("m1", redelivered: true));

        Assert.Equal(1, await StoredCountAsync());
    }

    [Fact]
    public async Task TwoMessagesWithTheSameBody_AreBothStored()
    {
        // Distinct message ids: two publishes, not one message seen twice.
        Assert.True(await DeliverAsync("m1", redelivered: false));
        Assert.True(await DeliverAsync("m2", redelivered: true));

        Assert.Equal(2, await StoredCountAsync());
    }

    private ValueTask<bool> DeliverAsync(string messageId, bool redelivered) =>
        _broker.Handler!(new BrokerDelivery("notifications", "webhook_tx", Encoding.UTF8.GetBytes(Body))
        {
            MessageId = messageId,
            Redelivered = redelivered,
        }, CancellationToken.None);

    private async Task<int> StoredCountAsync() => (await _history.ReadAsync(new HistoryQuery(100), CancellationToken.None)).Items.Count;

    /// <summary>Hands the test the durable-queue handler the recorder registers.</summary>
    private sealed class QueueCapturingBroker : IBroker
    {
        public QueueHandler? Handler { get; private set; }

        public DependencyStatus Status => new(true, "capturing");

        public ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the recorder only consumes its queue");

        public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the recorder only consumes its queue");

        public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the recorder only consumes its queue");

        public ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken)
        {
            Handler = handler;
            return ValueTask.FromResult<IQueueConsumer>(new NoConsumer());
        }

        public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }

    private sealed class NoConsumer : IQueueConsumer
    {
        public Task StopAsync(CancellationToken drainDeadline) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
