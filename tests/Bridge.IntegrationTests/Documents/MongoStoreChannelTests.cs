using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Documents;

/// <summary>Two bridges on the same sample data: one on the embedded store, one on MongoDB (the stand-in).</summary>
public sealed class EmbeddedAndMongoBridgesFixture : IAsyncLifetime
{
    private MongoStandIn? _mongo;
    private BridgeHost? _embedded;
    private BridgeHost? _onMongo;

    public MongoStandIn Mongo => _mongo!;

    public BridgeHost Embedded => _embedded!;

    public BridgeHost OnMongo => _onMongo!;

    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<JsonObject>>> ReadAllAsync(BridgeHost host)
    {
        var store = host.Services.GetRequiredService<Bridge.Documents.IDocumentStore>();
        var data = new Dictionary<string, IReadOnlyList<JsonObject>>(StringComparer.Ordinal);
        foreach (var collection in Bridge.Demo.SampleData.CollectionNames)
        {
            data[collection] = await store.FindAsync(collection, new Bridge.Documents.DocumentQuery(Bridge.Documents.Filter.Empty, [], 0, null), CancellationToken.None);
        }

        return data;
    }

    public async Task InitializeAsync()
    {
        _mongo = await MongoStandIn.StartAsync();
        var database = MongoStandIn.NewDatabaseName();
        _embedded = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        // The embedded store dates its sample data relative to its start: MongoDB gets exactly what it holds.
        await RabbitMqMongoBridgeFixture.SeedAsync(_mongo.Uri, database, await ReadAllAsync(_embedded));
        _onMongo = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Mongo:Uri"] = _mongo.Uri,
            ["Bridge:Mongo:Database"] = database,
        });
        await Readiness.WaitUntilReadyAsync(_onMongo, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        foreach (var host in new[] { _onMongo, _embedded })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        if (_mongo is not null)
        {
            await _mongo.DisposeAsync();
        }
    }
}

public sealed class MongoStoreChannelTests(EmbeddedAndMongoBridgesFixture fixture) : IClassFixture<EmbeddedAndMongoBridgesFixture>
{
    public static TheoryData<string, string> Requests => new()
    {
        { "nodes", """{"handler":"all"}""" },
        { "nodes", """{"handler":"all","params":{"limit":3,"skip":2}}""" },
        { "nodes", """{"handler":"query","params":{"where":{"type":"compute"},"sort":"name DESC","limit":3,"skip":1}}""" },
        { "nodes", """{"handler":"query","params":{"type":{"$in":["switch","pdu"]}}}""" },
        { "nodes", """{"handler":"query","params":{"sort":{"createdAt":-1},"limit":4}}""" },
        { "nodes", """{"handler":"query","params":{"createdAt":{"$gte":"__FIFTH_NODE_CREATED__"},"sort":"createdAt ASC"}}""" },
        { "nodes", """{"handler":"query","params":{"name":{"$regex":"^COMPUTE-0[1-3]$","$options":"i"}}}""" },
        { "nodes", """{"handler":"query","params":{"$or":[{"type":"pdu"},{"type":"enclosure"}],"id":{"$ne":"000000000000000000000000"}}}""" },
        { "nodes", """{"handler":"get","params":{"id":"__FIRST_NODE__"}}""" },
        { "nodes", """{"handler":"get","params":{"id":"000000000000000000000000"}}""" },
        { "nodes", """{"handler":"query","params":{"id":{"$in":["__FIRST_NODE__","not-an-object-id"]}}}""" },
        { "catalogs", """{"handler":"all"}""" },
        { "catalogs", """{"handler":"query","params":{"where":{"source":"dmi"},"sort":{"node":1}}}""" },
        { "catalogs", """{"handler":"query","params":{"node":"__FIRST_NODE__"}}""" },
        { "skus", """{"handler":"all"}""" },
        { "skus", """{"handler":"query","params":{"name":{"$exists":true},"sort":"name ASC","limit":2}}""" },
        { "graphObjs", """{"handler":"all"}""" },
        { "graphObjs", """{"handler":"query","params":{"sort":{"createdAt":-1},"skip":1,"limit":2}}""" },
        { "graphObjs", """{"handler":"get","params":{"instanceId":"__FIRST_GRAPH__"}}""" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task QueryAllGet_OnMongo_AnswerExactlyAsTheEmbeddedStore(string resource, string request)
    {
        request = request
            .Replace("__FIRST_NODE__", Bridge.Demo.SampleData.NodeIds[0], StringComparison.Ordinal)
            .Replace("__FIRST_GRAPH__", Bridge.Demo.SampleData.GraphInstanceIds[0], StringComparison.Ordinal);
        if (request.Contains("__FIFTH_NODE_CREATED__", StringComparison.Ordinal))
        {
            // Sample dates are relative to the embedded bridge's start: a bound that splits the nodes, read from it.
            var nodes = await AskAsync(fixture.Embedded, "nodes", """{"handler":"query","params":{"sort":"createdAt ASC"}}""");
            request = request.Replace("__FIFTH_NODE_CREATED__", (string)nodes["items"]![4]!["createdAt"]!, StringComparison.Ordinal);
        }


        var expected = await AskAsync(fixture.Embedded, resource, request);
        var actual = await AskAsync(fixture.OnMongo, resource, request);

        Assert.NotEqual("error", (string?)expected["handler"]);
        if (expected["items"] is JsonArray items)
        {
            Assert.NotEmpty(items);
        }

        Assert.True(JsonNode.DeepEquals(expected, actual), $"embedded:\n{expected.ToJsonString()}\nmongo:\n{actual.ToJsonString()}");
    }

    [Theory]
    [InlineData("""{"$where":"sleep(10000) || true"}""")]
    [InlineData("""{"$expr":{"$gt":["$a","$b"]}}""")]
    [InlineData("""{"name":{"$function":{"body":"function(){return true}","args":[],"lang":"js"}}}""")]
    [InlineData("""{"where":{"$where":"true"}}""")]
    public async Task UnsafeOperators_AreRefused_AndNeverReachMongo(string filter)
    {
        var reply = await AskAsync(fixture.OnMongo, "nodes", $$"""{"handler":"query","params":{{filter}}}""");

        Assert.Equal("error", (string?)reply["handler"]);
        Assert.Equal("invalid_filter", (string?)reply["params"]!["code"]);
        if (fixture.Mongo.IsStandIn)
        {
            var log = fixture.Mongo.CommandLog();
            Assert.Contains(log, entry => entry["command"]?["find"] is not null);
            Assert.DoesNotContain(log, entry => entry.ToJsonString().Contains("$where", StringComparison.Ordinal)
                || entry.ToJsonString().Contains("$expr", StringComparison.Ordinal)
                || entry.ToJsonString().Contains("$function", StringComparison.Ordinal));
        }
    }

    private static async Task<JsonObject> AskAsync(BridgeHost host, string resource, string request)
    {
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri(resource));
        await client.SendTextAsync(request);
        return await client.ReceiveAsync();
    }
}

/// <summary>MongoDB goes away and comes back while the bridge runs (the stand-in is stopped and started on the same port).</summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class MongoOutageTests : IAsyncLifetime
{
    private MongoStandIn? _mongo;
    private BridgeHost? _host;
    private readonly string _database = MongoStandIn.NewDatabaseName();

    public async Task InitializeAsync()
    {
        _mongo = await MongoStandIn.StartAsync();
        await RabbitMqMongoBridgeFixture.SeedAsync(_mongo.Uri, _database);
        _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Mongo:Uri"] = _mongo.Uri,
            ["Bridge:Mongo:Database"] = _database,
            ["Bridge:Mongo:PingInterval"] = "00:00:00.500",
            ["Bridge:Channels:Resources:nodes:Changes"] = "ChangeStream",
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
    public async Task MongoDown_QueryAnswersStoreUnavailableWithinTwoSeconds_BrokerWatchesGoOn_AndAllRecoversWhenItIsBack()
    {
        var mongo = _mongo!;
        var host = _host!;
        if (!mongo.IsStandIn)
        {
            // A real mongod is not ours to stop: this behaviour is proved on the stand-in.
            return;
        }

        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("nodes"));
        await client.SendTextAsync("""{"handler":"query","params":{"type":"compute"}}""");
        Assert.Equal("list", (string?)(await client.ReceiveAsync())["handler"]);
        await client.SendTextAsync("""{"handler":"watch","resource":"mq","params":{"exchange":"on.events","routingKey":"#"}}""");
        // nodes follow a change stream: a snapshot watcher of them.
        await using var follower = await ChannelClient.ConnectAsync(host.WebSocketUri("nodes"));
        await follower.SendTextAsync("""{"handler":"watch","snapshot":true,"params":{"rack":"outage"}}""");
        Assert.Equal("list", (string?)(await follower.ReceiveAsync(awaiting: "the snapshot"))["handler"]);

        await mongo.StopAsync();
        var clock = Stopwatch.StartNew();
        await client.SendTextAsync("""{"handler":"query","params":{"type":"compute"}}""");
        var failed = await client.ReceiveAsync();
        clock.Stop();

        Assert.Equal("error", (string?)failed["handler"]);
        Assert.Equal("store_unavailable", (string?)failed["params"]!["code"]);
        Assert.True(clock.Elapsed <= TimeSpan.FromSeconds(2), $"store_unavailable took {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyzAsync(host));

        // Watches do not need the store.
        await host.Services.GetRequiredService<Bridge.Broker.IBroker>().PublishAsync("on.events", "graph.started", """{"during":"outage"}"""u8.ToArray(), CancellationToken.None);
        var item = await client.ReceiveMatchingAsync(m => (string?)m["resource"] == "mq", "the mq item during the outage");
        Assert.Equal("outage", (string?)item["data"]!["during"]);

        await mongo.RestartAsync();
        await RabbitMqMongoBridgeFixture.SeedAsync(mongo.Uri, _database);
        var reply = await WaitUntil.ValueAsync(
            async () =>
            {
                await client.SendTextAsync("""{"handler":"query","params":{"type":"compute"}}""");
                return await client.ReceiveMatchingAsync(m => (string?)m["resource"] == "nodes", "a query reply after the restart");
            },
            static reply => (string?)reply["handler"] == "list",
            static reply => $"no list after the restart; the last reply: {reply.ToJsonString()}",
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));

        Assert.Equal("list", (string?)reply["handler"]);
        Assert.NotEmpty(reply["items"]!.AsArray());
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(10));

        // The restarted stand-in kept nothing, not even the change history: the stream starts afresh and its
        // snapshot watcher gets a new list; changes after that arrive again.
        var fresh = await follower.ReceiveMatchingAsync(m => (string?)m["handler"] == "list", "a fresh list after the history was lost", TimeSpan.FromSeconds(20));
        Assert.Empty(fresh["items"]!.AsArray());
        var store = RabbitMqMongoBridgeFixture.CreateStore(mongo.Uri, _database);
        using (store)
        {
            await store.InsertAsync("nodes", new JsonObject { ["id"] = "65e18b0001000000000000ff", ["rack"] = "outage" }, CancellationToken.None);
        }

        var created = await follower.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "the change made after the outage", TimeSpan.FromSeconds(10));
        Assert.Equal("65e18b0001000000000000ff", (string?)created["id"]![1]);
    }

    private static async Task<HttpStatusCode> ReadyzAsync(BridgeHost host)
    {
        using var http = new HttpClient { BaseAddress = host.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        return response.StatusCode;
    }
}
