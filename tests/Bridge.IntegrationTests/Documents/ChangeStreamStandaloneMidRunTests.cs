using Bridge.Broker;
using Bridge.Documents.Mongo;
using Bridge.IntegrationTests.Infrastructure;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Bridge.IntegrationTests.Documents;

/// <summary>
/// The server stops serving change streams while one is open (issue 12's "standalone mid-run": the stand-in,
/// a one-member replica set, comes back as a standalone server that answers 40573): the watch moves to the broker
/// and its client goes on getting RackHD's changes, and a later watch is on the broker from the start.
/// </summary>
public sealed class ChangeStreamStandaloneMidRunTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _database = MongoStandIn.NewDatabaseName();
    private MongoStandIn? _mongo;
    private BridgeHost? _host;

    public async Task InitializeAsync()
    {
        _mongo = await MongoStandIn.StartAsync(StandInMode.ReplicaSet);
        _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            // Direct: a driver that discovered a replica set drops a member that comes back standalone (its operations
            // then wait for a primary that never comes); with a direct connection it asks the server, which answers 40573.
            ["Bridge:Mongo:Uri"] = _mongo.Uri + "?directConnection=true",
            ["Bridge:Mongo:Database"] = _database,
            ["Bridge:Channels:Resources:nodes:Changes"] = "ChangeStream",
        });
        await Readiness.WaitUntilReadyAsync(_host, Timeout);
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
    public async Task StandaloneAfterTheStreamOpened_MovesTheWatchToTheBroker()
    {
        // Against BRIDGE_TEST_MONGO_URI there is no stand-in to restart as a standalone server.
        if (!_mongo!.IsStandIn)
        {
            return;
        }

        var host = _host!;
        var feed = host.Services.GetRequiredService<MongoChangeFeed>();
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("nodes"));
        await client.SendTextAsync("""{"handler":"watch","params":{"type":"compute"}}""");
        await client.SyncAsync();
        Assert.Equal(1, feed.StreamCount);

        // The stream works: a write by another client arrives.
        using (var writer = new MongoClient(_mongo.Uri))
        {
            await writer.GetDatabase(_database).GetCollection<BsonDocument>("nodes")
                .InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "name", "before" }, { "type", "compute" } });
        }

        var before = await client.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "the change stream's change", Timeout);
        Assert.Equal("before", (string?)before["data"]!["name"]);

        await _mongo.RestartAsync(StandInMode.Standalone);
        await WaitUntil.TrueAsync(() => feed.IsUnsupported, () => "the standalone server's 40573 was not noticed by the open stream",
            Timeout, TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, feed.StreamCount);

        // RackHD's changes reach the watch through the broker now, its filter still applied. The move subscribes
        // asynchronously: publish (a change the filter refuses, then one it takes) until the first arrives. One
        // receive stays pending throughout: a timed-out receive would abort the client's socket.
        var broker = host.Services.GetRequiredService<IBroker>();
        var arriving = client.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "a broker change after the move", Timeout);
        for (var attempt = 0; !arriving.IsCompleted && attempt < 60; attempt++)
        {
            await broker.PublishAsync("on.waterline", $"nodes.created.r{attempt}",
                System.Text.Encoding.UTF8.GetBytes($$$"""{"event":"created","record":{"id":"r{{{attempt}}}","name":"other","type":"switch"}}"""), CancellationToken.None);
            await broker.PublishAsync("on.waterline", $"nodes.created.m{attempt}",
                System.Text.Encoding.UTF8.GetBytes($$$"""{"event":"created","record":{"id":"m{{{attempt}}}","name":"after","type":"compute"}}"""), CancellationToken.None);
            await Task.WhenAny(arriving, Task.Delay(500));
        }

        var moved = await arriving;
        Assert.Equal("item", (string?)moved["handler"]);
        Assert.Equal("after", (string?)moved["data"]!["name"]);
    }
}
