using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels;

/// <summary>
/// The MonoRail channel contract over real WebSockets, run once per configuration (embedded defaults, and a
/// real RabbitMQ). Includes every exchange of RackHD's own spec test (on-wss <c>spec/lib/ws-service-spec.js</c>),
/// adapted where the contract deliberately differs (a <c>get</c> with no match answers <c>remove</c>).
/// </summary>
public abstract class ChannelProtocolTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : BridgeFixture
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    protected TFixture Fixture { get; } = fixture;

    private Task<ChannelClient> ConnectAsync(string path) => ChannelClient.ConnectAsync(Fixture.WebSocketUri(path));

    private static string NewId() => Guid.NewGuid().ToString("N")[..24];

    private Task PublishWaterlineAsync(string collection, string @event, string id, object record) =>
        Fixture.PublishAsync("on.waterline", $"{collection}.{@event}.{id}", JsonSerializer.Serialize(new { @event, record }));

    // --- RackHD spec: init, query, all, get ---------------------------------------------------------

    [Fact]
    public async Task Init_RepliesWithSessionId_StableForTheConnection()
    {
        await using var client = await ConnectAsync("/");
        await client.SendAsync(new { handler = "init" });
        var first = await client.ReceiveAsync();
        await client.SendAsync(new { handler = "init" });
        var second = await client.ReceiveAsync();

        Assert.Equal("session", (string?)first["handler"]);
        Assert.True(Guid.TryParse((string?)first["id"], out _), $"session id is a UUID: {first}");
        Assert.Equal((string?)first["id"], (string?)second["id"]);

        await using var other = await ConnectAsync("/");
        await other.SendAsync(new { handler = "init" });
        Assert.NotEqual((string?)first["id"], (string?)(await other.ReceiveAsync())["id"]);
    }

    [Fact]
    public async Task Query_WithResourceInMessage_RepliesList()
    {
        await using var client = await ConnectAsync("/");
        await client.SendTextAsync("""{"handler":"query","resource":"catalogs","params":{"id":null}}""");
        var reply = await client.ReceiveAsync();

        Assert.Equal("list", (string?)reply["handler"]);
        Assert.Equal("catalogs", (string?)reply["resource"]);
        Assert.IsType<JsonArray>(reply["items"]);
    }

    [Fact]
    public async Task All_RepliesEveryDocumentOfTheCollection()
    {
        await using var client = await ConnectAsync("/catalogs");
        await client.SendAsync(new { handler = "all" });
        var reply = await client.ReceiveAsync();

        Assert.Equal("list", (string?)reply["handler"]);
        Assert.Equal("catalogs", (string?)reply["resource"]);
        var items = reply["items"]!.AsArray();
        Assert.NotEmpty(items);
        Assert.All(items, item => Assert.False(string.IsNullOrEmpty((string?)item!["id"])));
    }

    [Fact]
    public async Task All_WithLimitAndSkip_Pages()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendAsync(new { handler = "all" });
        var everything = (await client.ReceiveAsync())["items"]!.AsArray();
        await client.SendAsync(new { handler = "all", @params = new { limit = 2, skip = 1 } });
        var page = (await client.ReceiveAsync())["items"]!.AsArray();

        Assert.True(everything.Count >= 3, "the sample data has at least three nodes");
        Assert.Equal(2, page.Count);
        Assert.Equal((string?)everything[1]!["id"], (string?)page[0]!["id"]);
    }

    [Fact]
    public async Task Get_WithNoMatch_RepliesRemoveWithTheRequestedId()
    {
        await using var client = await ConnectAsync("/");
        await client.SendTextAsync("""{"handler":"get","resource":"catalogs","params":{"id":null}}""");
        var nullId = await client.ReceiveAsync();
        await client.SendTextAsync("""{"handler":"get","resource":"catalogs","params":{"id":"000000000000000000000000"}}""");
        var missing = await client.ReceiveAsync();

        Assert.Equal("remove", (string?)nullId["handler"]);
        Assert.Equal("catalogs", (string?)nullId["resource"]);
        Assert.Equal("remove", (string?)missing["handler"]);
        Assert.Equal("000000000000000000000000", (string?)missing["id"]);
    }

    [Fact]
    public async Task Get_ExistingDocument_RepliesItemWithIdAndData()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendAsync(new { handler = "all" });
        var node = (await client.ReceiveAsync())["items"]!.AsArray()[0]!;
        var id = (string)node["id"]!;

        await client.SendAsync(new { handler = "get", @params = new { id } });
        var reply = await client.ReceiveAsync();

        Assert.Equal("item", (string?)reply["handler"]);
        Assert.Equal("nodes", (string?)reply["resource"]);
        Assert.Equal(id, (string?)reply["id"]);
        Assert.True(JsonNode.DeepEquals(node, reply["data"]), $"{node} vs {reply["data"]}");
    }

    [Fact]
    public async Task Get_GraphObjects_UsesInstanceIdAsTheReplyId()
    {
        await using var client = await ConnectAsync("/graphObjs");
        await client.SendAsync(new { handler = "all" });
        var graph = (await client.ReceiveAsync())["items"]!.AsArray()[0]!;
        var instanceId = (string)graph["instanceId"]!;

        await client.SendAsync(new { handler = "get", @params = new { instanceId } });
        var reply = await client.ReceiveAsync();

        Assert.Equal("item", (string?)reply["handler"]);
        Assert.Equal(instanceId, (string?)reply["id"]);
    }

    [Fact]
    public async Task Query_WithWaterlineWhereSortAndLimit_FiltersOrdersAndLimits()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendTextAsync("""{"handler":"query","params":{"where":{"type":"compute"},"sort":"name DESC","limit":3}}""");
        var items = (await client.ReceiveAsync())["items"]!.AsArray();

        Assert.Equal(3, items.Count);
        Assert.All(items, item => Assert.Equal("compute", (string?)item!["type"]));
        var names = items.Select(item => (string)item!["name"]!).ToList();
        Assert.Equal(names.OrderByDescending(name => name, StringComparer.Ordinal).ToList(), names);
    }

    [Fact]
    public async Task Query_WithOperators_MatchesMongoSemantics()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendTextAsync("""{"handler":"query","params":{"type":{"$in":["switch","pdu"]}}}""");
        var items = (await client.ReceiveAsync())["items"]!.AsArray();

        Assert.NotEmpty(items);
        Assert.All(items, item => Assert.Contains((string?)item!["type"], new[] { "switch", "pdu" }));
    }

    [Fact]
    public async Task Channel_WithQueryString_StillNamesTheResource()
    {
        await using var client = await ConnectAsync("/skus?session=abc&x=1");
        await client.SendAsync(new { handler = "all" });
        var reply = await client.ReceiveAsync();

        Assert.Equal("list", (string?)reply["handler"]);
        Assert.Equal("skus", (string?)reply["resource"]);
    }

    [Fact]
    public async Task ResourceField_WinsOverTypeField_AndTypeOverThePath()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendTextAsync("""{"handler":"all","type":"skus"}""");
        var byType = await client.ReceiveAsync();
        await client.SendTextAsync("""{"handler":"all","type":"skus","resource":"catalogs"}""");
        var byResource = await client.ReceiveAsync();

        Assert.Equal("skus", (string?)byType["resource"]);
        Assert.Equal("catalogs", (string?)byResource["resource"]);
    }

    // --- RackHD spec: watch created/updated/destroyed, then stop ----------------------------------

    [Fact]
    public async Task Watch_Collection_TranslatesCreatedUpdatedDestroyed_AndStopEndsIt()
    {
        await using var client = await ConnectAsync("/");
        await client.SendTextAsync("""{"handler":"watch","resource":"catalogs"}""");
        Assert.Empty(await client.SyncAsync());
        var id = NewId();

        await PublishWaterlineAsync("catalogs", "created", id, new { id, node = "node", source = "source", data = new { } });
        var created = await client.ReceiveAsync(awaiting: "created item");
        Assert.Equal("item", (string?)created["handler"]);
        Assert.Equal("catalogs", (string?)created["resource"]);
        Assert.Equal("created", (string?)created["id"]![0]);
        Assert.Equal((string?)created["data"]!["id"], (string?)created["id"]![1]);
        Assert.Equal("node", (string?)created["data"]!["node"]);
        Assert.Equal("source", (string?)created["data"]!["source"]);
        Assert.NotNull(created["data"]!["data"]);

        await PublishWaterlineAsync("catalogs", "updated", id, new { id, node = "node", source = "source2", data = new { } });
        var updated = await client.ReceiveAsync(awaiting: "updated item");
        Assert.Equal("item", (string?)updated["handler"]);
        Assert.Equal("updated", (string?)updated["id"]![0]);
        Assert.Equal(id, (string?)updated["id"]![1]);
        Assert.Equal("source2", (string?)updated["data"]!["source"]);

        await PublishWaterlineAsync("catalogs", "destroyed", id, new { id, node = "node", source = "source2" });
        var removed = await client.ReceiveAsync(awaiting: "remove");
        Assert.Equal("remove", (string?)removed["handler"]);
        Assert.Equal(id, (string?)removed["id"]);
        Assert.Equal(id, (string?)removed["data"]!["id"]);

        // RackHD spec "stop should unsubscribe": no reply to stop, and nothing for later changes.
        await client.SendTextAsync("""{"handler":"stop","resource":"catalogs"}""");
        Assert.Empty(await client.SyncAsync());
        await PublishWaterlineAsync("catalogs", "created", NewId(), new { node = "node", source = "source", data = new { } });
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Watch_ProducerPublishedCatalog_ArrivesAsItemWithCreatedAndId()
    {
        // The issue's acceptance case: a RackHD producer publishing {"event":"created","record":{...}}
        // with routing key catalogs.created.<id>.
        await using var client = await ConnectAsync("/catalogs");
        await client.SendAsync(new { handler = "watch" });
        await client.SyncAsync();
        var id = NewId();

        await Fixture.PublishAsync("on.waterline", $"catalogs.created.{id}",
            JsonSerializer.Serialize(new { @event = "created", record = new { id, node = NewId(), source = "dmi", data = new Dictionary<string, object> { ["System Information"] = new { Manufacturer = "Quanta" } } } }));
        var item = await client.ReceiveAsync(awaiting: "item");

        Assert.Equal("item", (string?)item["handler"]);
        Assert.True(JsonNode.DeepEquals(new JsonArray("created", id), item["id"]), item.ToJsonString());
        Assert.Equal("Quanta", (string?)item["data"]!["data"]!["System Information"]!["Manufacturer"]);
    }

    [Fact]
    public async Task Watch_GraphObjects_IdFromRoutingKeyIsTheInstanceId()
    {
        await using var client = await ConnectAsync("/graphObjs");
        await client.SendAsync(new { handler = "watch" });
        await client.SyncAsync();
        var instanceId = Guid.NewGuid().ToString();

        await PublishWaterlineAsync("graphobjects", "updated", instanceId, new { id = NewId(), instanceId, _status = "running" });
        var item = await client.ReceiveAsync(awaiting: "graph item");

        Assert.Equal(instanceId, (string?)item["id"]![1]);
        Assert.Equal("graphObjs", (string?)item["resource"]);
    }

    [Fact]
    public async Task Watch_Repeated_DeliversEachEventOnce()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendAsync(new { handler = "watch" });
        await client.SendAsync(new { handler = "watch" });
        await client.SendAsync(new { handler = "watch", @params = new { } });
        await client.SyncAsync();

        var id = NewId();
        await PublishWaterlineAsync("nodes", "updated", id, new { id, name = "dup-check" });
        await client.ReceiveAsync(awaiting: "the one item");
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Watch_WithFilter_SendsOnlyMatchingItems()
    {
        var node = NewId();
        await using var client = await ConnectAsync("/catalogs");
        await client.SendAsync(new { handler = "watch", @params = new { node } });
        await client.SyncAsync();

        var other = NewId();
        var mine = NewId();
        await PublishWaterlineAsync("catalogs", "created", other, new { id = other, node = NewId(), source = "dmi" });
        await PublishWaterlineAsync("catalogs", "created", mine, new { id = mine, node, source = "dmi" });
        var item = await client.ReceiveAsync(awaiting: "the matching catalog");

        Assert.Equal(mine, (string?)item["id"]![1]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Watch_ById_NarrowsToThatRecord()
    {
        var id = NewId();
        await using var client = await ConnectAsync("/nodes");
        await client.SendAsync(new { handler = "watch", @params = new { id } });
        await client.SyncAsync();

        await PublishWaterlineAsync("nodes", "updated", NewId(), new { id = "someone-else", name = "x" });
        await PublishWaterlineAsync("nodes", "updated", id, new { id, name = "mine" });
        var item = await client.ReceiveAsync(awaiting: "the watched node");

        Assert.Equal(id, (string?)item["id"]![1]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Stop_WithParamsInAnotherKeyOrder_EndsTheWatch()
    {
        await using var client = await ConnectAsync("/catalogs");
        await client.SendTextAsync("""{"handler":"watch","params":{"source":"dmi","node":"n1"}}""");
        await client.SendTextAsync("""{"handler":"stop","params":{"node":"n1","source":"dmi"}}""");
        Assert.Empty(await client.SyncAsync());

        var id = NewId();
        await PublishWaterlineAsync("catalogs", "created", id, new { id, node = "n1", source = "dmi" });
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Stop_WithoutParams_EndsEveryWatchOfThatResourceOnly()
    {
        await using var client = await ConnectAsync("/catalogs");
        await client.SendTextAsync("""{"handler":"watch","params":{"source":"dmi"}}""");
        await client.SendTextAsync("""{"handler":"watch","params":{"source":"bmc"}}""");
        await client.SendTextAsync("""{"handler":"watch","resource":"nodes"}""");
        await client.SendTextAsync("""{"handler":"stop","params":null}""");
        await client.SyncAsync();

        await PublishWaterlineAsync("catalogs", "created", NewId(), new { source = "dmi" });
        await PublishWaterlineAsync("catalogs", "created", NewId(), new { source = "bmc" });
        var id = NewId();
        await PublishWaterlineAsync("nodes", "created", id, new { id });
        var item = await client.ReceiveAsync(awaiting: "the nodes item");

        Assert.Equal("nodes", (string?)item["resource"]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Watch_EndsWhenTheConnectionCloses_OtherWatchersKeepReceiving()
    {
        var first = await ConnectAsync("/skus");
        await using var second = await ConnectAsync("/skus");
        await first.SendAsync(new { handler = "watch" });
        await second.SendAsync(new { handler = "watch" });
        await first.SyncAsync();
        await second.SyncAsync();
        await first.DisposeAsync();

        var id = NewId();
        await PublishWaterlineAsync("skus", "updated", id, new { id, name = "still here" });
        var item = await second.ReceiveAsync(awaiting: "item on the remaining connection");
        Assert.Equal(id, (string?)item["id"]![1]);
    }

    // --- RackHD spec: mq watch and stop ---------------------------------------------------------

    [Fact]
    public async Task Mq_Watch_DeliversItemsWithRoutingKeyAsId_AndStopEndsIt()
    {
        await using var client = await ConnectAsync("/");
        await client.SendTextAsync("""{"handler":"watch","resource":"mq","params":{"exchange":"on.test","routingKey":"#"}}""");
        await client.SyncAsync();

        await Fixture.PublishAsync("on.test", "routing.key.value", """{"key":"value"}""");
        var item = await client.ReceiveAsync(awaiting: "mq item");
        Assert.Equal("item", (string?)item["handler"]);
        Assert.Equal("mq", (string?)item["resource"]);
        Assert.Equal("routing.key.value", (string?)item["id"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"key":"value"}"""), item["data"]));

        await client.SendTextAsync("""{"handler":"stop","resource":"mq","params":{"exchange":"on.test","routingKey":"#"}}""");
        Assert.Empty(await client.SyncAsync());
        await Fixture.PublishAsync("on.test", "routing.key.value", """{"key":"value"}""");
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Mq_Watch_AsTheRackHdUiDoes_WorkflowEventsAndLogs()
    {
        // on-web-ui's EventsMessenger/LogsMessenger: channel "mq", no resource field.
        await using var client = await ConnectAsync("/mq");
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.events","routingKey":"graph.progress.#"}}""");
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.logging","routingKey":"#"}}""");
        await client.SyncAsync();

        var graphId = Guid.NewGuid();
        await Fixture.PublishAsync("on.events", $"graph.progress.updated.information.{graphId}.node1",
            $$$"""{"type":"graph","action":"progress.updated","severity":"information","typeId":"{{{graphId}}}","nodeId":"node1","data":{"progress":{"percentage":"50%"}},"version":"1.0","createdAt":"2026-11-23T10:00:00.000Z"}""");
        await Fixture.PublishAsync("on.events", $"graph.started.information.{graphId}", """{"type":"graph"}""");
        await Fixture.PublishAsync("on.logging", "info", """{"name":"on-taskgraph","level":"info","message":"Task finished","timestamp":"2026-11-23T10:00:01.000Z"}""");

        var progress = await client.ReceiveAsync(awaiting: "progress event");
        var log = await client.ReceiveAsync(awaiting: "log");
        Assert.Equal($"graph.progress.updated.information.{graphId}.node1", (string?)progress["id"]);
        Assert.Equal("50%", (string?)progress["data"]!["data"]!["progress"]!["percentage"]);
        Assert.Equal("info", (string?)log["id"]);
        Assert.Equal("Task finished", (string?)log["data"]!["message"]);
        await client.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task Mq_NonJsonBody_ArrivesAsString()
    {
        await using var client = await ConnectAsync("/mq");
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.heartbeat","routingKey":"#"}}""");
        await client.SyncAsync();

        await Fixture.PublishAsync("on.heartbeat", "on-taskgraph.host1", "plain text beat");
        var item = await client.ReceiveAsync(awaiting: "heartbeat");
        Assert.Equal("plain text beat", (string?)item["data"]);
    }

    [Fact]
    public async Task TopicOnlyResource_WatchDeliversRawItems_QueryIsNotSupported()
    {
        await using var client = await ConnectAsync("/workflows");
        await client.SendAsync(new { handler = "watch" });
        await client.SyncAsync();
        await Fixture.PublishAsync("on.events", "graph.finished.information.g1", """{"type":"graph","action":"finished"}""");
        var item = await client.ReceiveAsync(awaiting: "workflow event");
        await client.SendAsync(new { handler = "query" });
        var error = await client.ReceiveAsync();

        Assert.Equal("workflows", (string?)item["resource"]);
        Assert.Equal("graph.finished.information.g1", (string?)item["id"]);
        Assert.Equal("error", (string?)error["handler"]);
        Assert.Equal("not_supported", (string?)error["params"]!["code"]);
    }

    [Fact]
    public async Task Logs_WatchFollowsTheLoggingExchange_WithAFilterOnTheBody()
    {
        await using var client = await ConnectAsync("/logs");
        await client.SendTextAsync("""{"handler":"watch","params":{"level":"error"}}""");
        await client.SyncAsync();

        await Fixture.PublishAsync("on.logging", "info", """{"level":"info","message":"fine"}""");
        await Fixture.PublishAsync("on.logging", "error", """{"level":"error","message":"broken"}""");
        var item = await client.ReceiveAsync(awaiting: "error log");

        Assert.Equal("logs", (string?)item["resource"]);
        Assert.Equal("broken", (string?)item["data"]!["message"]);
        await client.AssertNothingAsync(Quiet);
    }

    // --- Errors: every kind of bad input gets a specific code, and the connection stays usable ----------

    public static TheoryData<string, string> BadInput => new()
    {
        { "{not json", "invalid_json" },
        { "[1,2,3]", "invalid_message" },
        { "\"init\"", "invalid_message" },
        { """{"params":{}}""", "missing_handler" },
        { """{"handler":42}""", "missing_handler" },
        { """{"handler":"explode"}""", "unknown_handler" },
        { """{"handler":"all","resource":"nope"}""", "unknown_resource" },
        { """{"handler":"all","resource":7}""", "invalid_message" },
        { """{"handler":"query","params":{"$where":"sleep(1000)"}}""", "invalid_filter" },
        { """{"handler":"query","params":{"$or":[{"$function":{"body":"x"}}]}}""", "invalid_filter" },
        { """{"handler":"query","params":{"name":{"$expr":1}}}""", "invalid_filter" },
        { """{"handler":"watch","params":{"$where":"true"}}""", "invalid_filter" },
        { """{"handler":"query","params":"name"}""", "invalid_params" },
        { """{"handler":"all","params":{"limit":-1}}""", "invalid_params" },
        { """{"handler":"get"}""", "invalid_params" },
        { """{"handler":"query","resource":"mq"}""", "not_supported" },
        { """{"handler":"watch","resource":"mq","params":{"exchange":"on.secret","routingKey":"#"}}""", "exchange_not_allowed" },
        { """{"handler":"watch","resource":"mq","params":{"exchange":"on.events"}}""", "invalid_params" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task BadInput_GetsErrorWithSpecificCode_AndTheConnectionStaysUsable(string message, string code)
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendTextAsync(message);
        var error = await client.ReceiveAsync(awaiting: code);

        Assert.Equal("error", (string?)error["handler"]);
        Assert.Equal(code, (string?)error["params"]!["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["params"]!["message"]));

        Assert.Empty(await client.SyncAsync());
    }

    [Fact]
    public async Task BinaryFrame_GetsInvalidMessage()
    {
        await using var client = await ConnectAsync("/nodes");
        await client.SendBinaryAsync(Encoding.UTF8.GetBytes("""{"handler":"init"}"""));
        var error = await client.ReceiveAsync();

        Assert.Equal("invalid_message", (string?)error["params"]!["code"]);
        Assert.Equal("nodes", (string?)error["resource"]);
    }

    [Fact]
    public async Task NoResourceAnywhere_GetsUnknownResource()
    {
        await using var client = await ConnectAsync("/");
        await client.SendAsync(new { handler = "all" });
        var error = await client.ReceiveAsync();

        Assert.Equal("unknown_resource", (string?)error["params"]!["code"]);
    }

    [Fact]
    public async Task OversizedFrame_ClosesTheConnectionWith1009_OthersUnaffected()
    {
        await using var bystander = await ConnectAsync("/nodes");
        await using var client = await ConnectAsync("/nodes");
        var padding = new string('x', 70 * 1024);
        await client.SendTextAsync($$"""{"handler":"init","padding":"{{padding}}"}""");

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
        Assert.Empty(await bystander.SyncAsync());
    }

    [Fact]
    public async Task PlainHttpOnAChannel_AnswersWithAHint()
    {
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri };
        using var response = await http.GetAsync(new Uri("/nodes", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("WebSocket", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_WithSnapshot_SendsTheMatchingDocumentsAsOneList_ThenLiveChanges()
    {
        var node = Bridge.Demo.SampleData.NodeIds[0];
        await using var client = await ConnectAsync("/catalogs");
        await client.SendAsync(new { handler = "query", @params = new { node } });
        var expected = (await client.ReceiveAsync())["items"]!.AsArray();

        await client.SendAsync(new { handler = "watch", @params = new { node }, snapshot = true });
        var snapshot = await client.ReceiveAsync(awaiting: "the snapshot");
        var id = NewId();
        await client.SyncAsync();
        await PublishWaterlineAsync("catalogs", "created", id, new { id, node, source = "snapshot-test" });
        var live = await client.ReceiveMatchingAsync(m => (string?)m["handler"] == "item", "the live item");

        Assert.Equal("list", (string?)snapshot["handler"]);
        Assert.NotEmpty(expected);
        Assert.True(JsonNode.DeepEquals(expected, snapshot["items"]), $"{expected} vs {snapshot["items"]}");
        Assert.Equal(id, (string?)live["id"]![1]);
    }

    [Fact]
    public async Task Readyz_ReportsBrokerAndStoreReady()
    {
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri };
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        Assert.True((bool)body["checks"]!["broker"]!["ready"]!);
        Assert.True((bool)body["checks"]!["store"]!["ready"]!);
    }
}

public sealed class EmbeddedChannelProtocolTests(EmbeddedBridgeFixture fixture) : ChannelProtocolTests<EmbeddedBridgeFixture>(fixture);

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqChannelProtocolTests(RabbitMqBridgeFixture fixture) : ChannelProtocolTests<RabbitMqBridgeFixture>(fixture);

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqMongoChannelProtocolTests(RabbitMqMongoBridgeFixture fixture) : ChannelProtocolTests<RabbitMqMongoBridgeFixture>(fixture);
