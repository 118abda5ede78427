using System.Diagnostics;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Bridge.IntegrationTests.Documents;

/// <summary>
/// A bridge on MongoDB (the stand-in as a one-member replica set keeping its data across restarts, or
/// <c>BRIDGE_TEST_MONGO_URI</c>, which must then be a replica set) whose <c>nodes</c> follow a change stream,
/// <c>catalogs</c> both the broker and the stream; the writes come from another client (the .NET driver).
/// </summary>
public sealed class ChangeStreamBridgeFixture : IAsyncLifetime
{
    private MongoStandIn? _mongo;
    private BridgeHost? _host;
    private MongoClient? _writer;

    public MongoStandIn Mongo => _mongo!;

    public BridgeHost Host => _host!;

    public string Database { get; } = MongoStandIn.NewDatabaseName();

    /// <summary>Another client of the same database: the "script" whose writes RackHD never publishes.</summary>
    public IMongoCollection<BsonDocument> Collection(string name) => _writer!.GetDatabase(Database).GetCollection<BsonDocument>(name);

    public async Task InitializeAsync()
    {
        _mongo = await MongoStandIn.StartAsync(StandInMode.ReplicaSetKeepingData);
        _writer = new MongoClient(_mongo.Uri);
        _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Mongo:Uri"] = _mongo.Uri,
            ["Bridge:Mongo:Database"] = Database,
            // Only Changes on default resources: the rest of their definitions stays RackHD's.
            ["Bridge:Channels:Resources:nodes:Changes"] = "ChangeStream",
            ["Bridge:Channels:Resources:catalogs:Changes"] = "Both",
        });
        await Readiness.WaitUntilReadyAsync(_host, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _writer?.Dispose();
        if (_mongo is not null)
        {
            await _mongo.DisposeAsync();
        }
    }
}

public sealed class ChangeStreamWatchTests(ChangeStreamBridgeFixture fixture) : IClassFixture<ChangeStreamBridgeFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task WritesByAnotherClient_ArriveAsCreatedUpdatedAndRemovedFrames()
    {
        var nodes = fixture.Collection("nodes");
        await using var client = await WatchAsync("nodes", null);
        var id = ObjectId.GenerateNewId();
        var hex = id.ToString();

        await nodes.InsertOneAsync(new BsonDocument { { "_id", id }, { "name", "script-01" }, { "type", "compute" } });
        var created = await NextChangeAsync(client, "nodes");
        Assert.Equal("item", (string?)created["handler"]);
        Assert.Equal(["created", hex], created["id"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(hex, (string?)created["data"]!["id"]);
        Assert.Equal("script-01", (string?)created["data"]!["name"]);

        await nodes.UpdateOneAsync(new BsonDocument("_id", id), new BsonDocument("$set", new BsonDocument("name", "script-01b")));
        var updated = await NextChangeAsync(client, "nodes");
        Assert.Equal(["updated", hex], updated["id"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("script-01b", (string?)updated["data"]!["name"]);
        Assert.Equal("compute", (string?)updated["data"]!["type"]);

        await nodes.ReplaceOneAsync(new BsonDocument("_id", id), new BsonDocument { { "name", "script-01c" }, { "type", "compute" } });
        var replaced = await NextChangeAsync(client, "nodes");
        Assert.Equal(["updated", hex], replaced["id"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("script-01c", (string?)replaced["data"]!["name"]);

        await nodes.DeleteOneAsync(new BsonDocument("_id", id));
        var removed = await NextChangeAsync(client, "nodes");
        Assert.Equal("remove", (string?)removed["handler"]);
        Assert.Equal(hex, (string?)removed["id"]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task FilteredWatch_GetsOnlyMatchingDocuments()
    {
        var nodes = fixture.Collection("nodes");
        await using var client = await WatchAsync("nodes", """{"type":"pdu","rack":"filtered"}""");
        var other = ObjectId.GenerateNewId();
        var wanted = ObjectId.GenerateNewId();

        await nodes.InsertOneAsync(new BsonDocument { { "_id", other }, { "name", "sw" }, { "type", "switch" }, { "rack", "filtered" } });
        await nodes.InsertOneAsync(new BsonDocument { { "_id", wanted }, { "name", "pdu" }, { "type", "pdu" }, { "rack", "filtered" } });
        var created = await NextChangeAsync(client, "nodes");
        Assert.Equal(["created", wanted.ToString()], created["id"]!.AsArray().Select(v => (string?)v));

        // The switch's removal is not this watch's business; the PDU's is.
        await nodes.DeleteOneAsync(new BsonDocument("_id", other));
        await nodes.DeleteOneAsync(new BsonDocument("_id", wanted));
        var removed = await NextChangeAsync(client, "nodes");
        Assert.Equal("remove", (string?)removed["handler"]);
        Assert.Equal(wanted.ToString(), (string?)removed["id"]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Both_AChangeSeenOnTheBrokerAndTheStream_IsDeliveredOnce()
    {
        var catalogs = fixture.Collection("catalogs");
        await using var client = await WatchAsync("catalogs", null);
        var broker = fixture.Host.Services.GetRequiredService<IBroker>();

        // RackHD's way: it writes, then publishes the change on on.waterline.
        var rackhd = ObjectId.GenerateNewId().ToString();
        await catalogs.InsertOneAsync(new BsonDocument { { "_id", ObjectId.Parse(rackhd) }, { "source", "dmi" } });
        await broker.PublishAsync("on.waterline", $"catalogs.created.{rackhd}",
            System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["event"] = "created", ["record"] = new JsonObject { ["id"] = rackhd, ["source"] = "dmi" } }.ToJsonString()),
            CancellationToken.None);
        // A script's way: it writes, nobody publishes.
        var script = ObjectId.GenerateNewId().ToString();
        await catalogs.InsertOneAsync(new BsonDocument { { "_id", ObjectId.Parse(script) }, { "source", "lldp" } });

        var frames = await CollectChangesAsync(client, "catalogs", TimeSpan.FromSeconds(3));

        Assert.Single(frames, f => (string?)f["id"]![1] == rackhd);
        Assert.Single(frames, f => (string?)f["id"]![1] == script);
        Assert.Equal(2, frames.Count);
    }

    /// <summary>
    /// Issue 11, item 4, for resources that follow a change stream: a filtered watch evaluates on its own queue and
    /// waits for a shared evaluation slot, so while every slot is taken it sends nothing, from either source, and
    /// an unfiltered watch of the same resource gets every change meanwhile; once the slots are free the filtered
    /// watch gets its changes, each once. Had the filter run on the feed's loop or the broker's dispatch
    /// thread (as it did), it would not wait for a slot and its frames would arrive beside the unfiltered ones.
    /// </summary>
    [Fact]
    public async Task Both_AFilteredWatch_EvaluatesOnlyInAnEvaluationSlot_WhileAnUnfilteredWatchGetsEveryChange()
    {
        var catalogs = fixture.Collection("catalogs");
        var broker = fixture.Host.Services.GetRequiredService<IBroker>();
        var node = "slots-" + ObjectId.GenerateNewId();
        await using var filtered = await WatchAsync("catalogs", $$"""{"node":"{{node}}"}""");
        await using var plain = await WatchAsync("catalogs", null);

        var slots = fixture.Host.Services.GetRequiredService<Bridge.Channels.FilterEvaluationSlots>();
        var taken = 0;
        var expected = new List<string>();
        Task<JsonObject> firstFiltered;
        try
        {
            for (; taken < slots.Count; taken++)
            {
                await slots.WaitAsync(CancellationToken.None).WaitAsync(ChannelClient.DefaultTimeout);
            }

            // One receive left pending rather than a short timed one: a timed-out receive aborts the client socket.
            firstFiltered = filtered.ReceiveAsync(TimeSpan.FromSeconds(60), awaiting: "the filtered watch's first frame");

            // Two changes through the stream (a script's writes) and one through the broker alone (RackHD's publish
            // of a document it has not written, so only the broker carries it).
            for (var i = 0; i < 2; i++)
            {
                var id = ObjectId.GenerateNewId();
                expected.Add(id.ToString());
                await catalogs.InsertOneAsync(new BsonDocument { { "_id", id }, { "node", node }, { "n", i } });
            }

            var published = ObjectId.GenerateNewId().ToString();
            expected.Add(published);
            await broker.PublishAsync("on.waterline", $"catalogs.updated.{published}",
                System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["event"] = "updated", ["record"] = new JsonObject { ["id"] = published, ["node"] = node } }.ToJsonString()),
                CancellationToken.None);

            var seen = new List<string>();
            while (seen.Count < expected.Count)
            {
                var frame = await NextChangeAsync(plain, "catalogs");
                if ((string?)frame["data"]?["node"] == node)
                {
                    seen.Add((string)frame["id"]![1]!);
                }
            }

            Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));

            // Every unfiltered frame has arrived: filtered frames evaluated beside them would be on the wire by now.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.False(firstFiltered.IsCompleted, "the filtered watch sent a frame while no evaluation slot was free");
        }
        finally
        {
            for (; taken > 0; taken--)
            {
                slots.Release();
            }
        }

        var frames = new List<JsonObject> { await firstFiltered };
        frames.AddRange(await CollectChangesAsync(filtered, "catalogs", TimeSpan.FromSeconds(10), expected: expected.Count - 1));
        Assert.All(frames, f => Assert.Equal("catalogs", (string?)f["resource"]));
        // Once each; the two sources have no order between them.
        Assert.Equal(expected.Order(StringComparer.Ordinal), frames.Select(f => (string)f["id"]![1]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StandInRestartedMidTest_ChangesAfterItComesBackArrive_NoneTwice()
    {
        if (!fixture.Mongo.IsStandIn)
        {
            // A real server is not ours to restart.
            return;
        }

        var nodes = fixture.Collection("nodes");
        await using var client = await WatchAsync("nodes", """{"rack":"restart"}""");
        var before = ObjectId.GenerateNewId();
        await nodes.InsertOneAsync(new BsonDocument { { "_id", before }, { "rack", "restart" }, { "n", 0 } });
        Assert.Equal(before.ToString(), (string?)(await NextChangeAsync(client, "nodes"))["id"]![1]);

        await fixture.Mongo.RestartAsync();
        var after = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var id = ObjectId.GenerateNewId();
            after.Add(id.ToString());
            await nodes.InsertOneAsync(new BsonDocument { { "_id", id }, { "rack", "restart" }, { "n", i } });
        }

        var frames = await CollectChangesAsync(client, "nodes", TimeSpan.FromSeconds(8), expected: 3);

        Assert.Equal(after, frames.Select(f => (string?)f["id"]![1]));
        Assert.All(frames, f => Assert.Equal("created", (string?)f["id"]![0]));
    }

    private async Task<ChannelClient> WatchAsync(string resource, string? filter)
    {
        var client = await ChannelClient.ConnectAsync(fixture.Host.WebSocketUri(resource));
        await client.SendTextAsync(filter is null ? """{"handler":"watch"}""" : $$"""{"handler":"watch","params":{{filter}}}""");
        await client.SyncAsync();
        return client;
    }

    private static Task<JsonObject> NextChangeAsync(ChannelClient client, string resource) =>
        client.ReceiveMatchingAsync(m => (string?)m["resource"] == resource && (string?)m["handler"] is "item" or "remove", $"a change of {resource}");

    /// <summary>Every change frame until <paramref name="window"/> passes (or <paramref name="expected"/> arrived and a quiet second followed).</summary>
    private static async Task<List<JsonObject>> CollectChangesAsync(ChannelClient client, string resource, TimeSpan window, int? expected = null)
    {
        var frames = new List<JsonObject>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            var wait = expected is { } n && frames.Count >= n ? TimeSpan.FromSeconds(1) : window - clock.Elapsed;
            var message = await client.TryReceiveAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
            if (message is null)
            {
                // The wait ran out (a timed-out receive aborts a ClientWebSocket) or the server closed: nothing more can be read.
                break;
            }

            if ((string?)message["resource"] == resource && (string?)message["handler"] is "item" or "remove")
            {
                frames.Add(message);
            }
        }

        return frames;
    }
}
