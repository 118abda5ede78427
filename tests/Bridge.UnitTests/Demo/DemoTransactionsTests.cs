using System.Text;
using Bridge.Broker;
using Bridge.Demo;
using Bridge.Documents;
using Bridge.Kernel;
using Bridge.Ledger;
using Bridge.Notifications;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Demo;

/// <summary>
/// The demo's transactions and transfers (issue 15: every dashboard panel alive on the embedded default): what it
/// publishes passes the bridge's own checks for <c>webhook_tx</c> messages and ledger events.
/// </summary>
public sealed class DemoTransactionsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bridge-demo-tx-" + Guid.NewGuid().ToString("N"));
    private readonly RecordingBroker _broker = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 4, 0, 0, TimeSpan.Zero));
    private readonly EmbeddedDocumentStore _store;
    private readonly LedgerUris _uris = new(Options.Create(new BridgeOptions()), Options.Create(new LedgerOptions()));

    public DemoTransactionsTests() =>
        _store = new EmbeddedDocumentStore(new EmbeddedStoreOptions(), _directory, _time, NullLogger<EmbeddedDocumentStore>.Instance, new DemoSeed());

    public void Dispose()
    {
        _store.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task RunAsync(int steps)
    {
        var producer = new DemoProducer(_broker, _store, _time, Options.Create(new DemoOptions()), NullLogger<DemoProducer>.Instance,
            new DemoTransactions(Options.Create(new NotificationOptions()), Options.Create(new LedgerOptions()), _uris));
        for (var i = 0; i < steps; i++)
        {
            await producer.StepAsync(CancellationToken.None).WaitAsync(Timeout);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task ADiscoveryRun_IsATransactionFromPendingToSuccess_EachMessageValid()
    {
        await RunAsync(6);

        var statuses = _broker.On("notifications");
        Assert.All(statuses, s => Assert.Equal("webhook_tx", s.RoutingKey));
        Assert.All(statuses, s => Assert.True(TransactionMessage.TryValidate(s.Body, out var error), error));
        Assert.Equal(["pending", "pending", "pending", "pending", "pending", "success"], statuses.Select(s => (string)s.Body["status"]!));
        Assert.Equal([0, 1, 2, 3, 4, 4], statuses.Select(s => (int)s.Body["on_step"]!));
        Assert.All(statuses, s => Assert.Equal(4, (int)s.Body["total_steps"]!));
        Assert.Single(statuses.Select(s => (string)s.Body["id"]!).Distinct());
        Assert.Equal(0, (long)statuses[0].Body["ts_completed"]!);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds() - 1, (long)statuses[^1].Body["ts_completed"]!);
    }

    [Fact]
    public async Task ADiscoveryRun_IsALedgerTransferPreparedThenExecuted_BetweenTheTwoDemoAccounts()
    {
        await RunAsync(6);

        var transfers = _broker.On("ledger");
        Assert.Equal([LedgerEvent.TransferCreate, LedgerEvent.TransferUpdate], transfers.Select(t => t.RoutingKey));
        Assert.Equal(["prepared", "executed"], transfers.Select(t => (string)t.Body["resource"]!["state"]!));
        foreach (var (routingKey, body) in transfers)
        {
            var delivery = new BrokerDelivery("ledger", routingKey, Encoding.UTF8.GetBytes(body.ToJsonString()));
            Assert.True(LedgerEvent.TryCreate(delivery, _uris, out var ledgerEvent, out var error), error);
            Assert.Equal(["alice", "bob"], ledgerEvent.Accounts);
        }
    }

    [Fact]
    public async Task EveryFourthRun_Fails_AsAnErrorAndARejectedTransfer()
    {
        // Discovery (6 steps), Power On (3), Reboot (4), then Discovery again (6): the fourth run fails.
        await RunAsync(19);

        var finished = _broker.On(DemoProducer.EventsExchange).Where(e => e.RoutingKey.StartsWith("graph.finished.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["succeeded", "succeeded", "succeeded", "failed"], finished.Select(e => (string)e.Body["data"]!["status"]!));
        var last = _broker.On("notifications").Where(s => (string)s.Body["status"]! != "pending").Select(s => (string)s.Body["status"]!);
        Assert.Equal(["success", "success", "success", "error"], last);
        var settled = _broker.On("ledger").Where(t => t.RoutingKey == LedgerEvent.TransferUpdate).Select(t => (string)t.Body["resource"]!["state"]!);
        Assert.Equal(["executed", "executed", "executed", "rejected"], settled);
    }
}
