using Bridge.Broker;
using Bridge.Documents.Mongo;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Documents;

/// <summary>
/// MongoDB that cannot serve change streams (the stand-in with <c>--standalone</c>, which answers code 40573 as a
/// standalone mongod does): resources configured for them fall back to the broker, and nothing crashes.
/// </summary>
public sealed class ChangeStreamStandaloneTests : IAsyncLifetime
{
    private MongoStandIn? _mongo;
    private BridgeHost? _host;

    public async Task InitializeAsync()
    {
        // Against BRIDGE_TEST_MONGO_URI this runs on whatever that server is; the fallback is asserted only on the stand-in.
        _mongo = await MongoStandIn.StartAsync(StandInMode.Standalone);
        _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Mongo:Uri"] = _mongo.Uri,
            ["Bridge:Mongo:Database"] = MongoStandIn.NewDatabaseName(),
            ["Bridge:Mongo:ChangeStreams"] = "true",
        });
        await Readiness.WaitUntilReadyAsync(_host, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_mongo is not null)
        {
            await _mongo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Standalone_ChangeStreamResources_FallBackToTheBroker()
    {
        if (!_mongo!.IsStandIn)
        {
            return;
        }

        var host = _host!;
        var feed = host.Services.GetRequiredService<MongoChangeFeed>();
        // Reported at start (ChangeStreamStartupCheck) before any watch.
        await WaitUntil.TrueAsync(() => feed.IsUnsupported, () => "the 40573 answer was not noticed at start",
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("nodes"));
        await client.SendTextAsync("""{"handler":"watch"}""");
        await client.SyncAsync();
        await host.Services.GetRequiredService<IBroker>().PublishAsync("on.waterline", "nodes.created.65e18b000100000000000042",
            """{"event":"created","record":{"id":"65e18b000100000000000042","name":"from-rackhd"}}"""u8.ToArray(), CancellationToken.None);

        var item = await client.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "the broker's change");
        Assert.Equal("from-rackhd", (string?)item["data"]!["name"]);
        Assert.Equal(0, feed.StreamCount);
    }
}
