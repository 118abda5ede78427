using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;

namespace Bridge.UnitTests.Channels;

public class CanonicalJsonTests
{
    [Fact]
    public void Write_ObjectsDifferingOnlyInKeyOrder_AreEqual()
    {
        var a = JsonNode.Parse("""{"b":1,"a":{"y":[1,{"q":1,"p":2}],"x":null}}""");
        var b = JsonNode.Parse("""{"a":{"x":null,"y":[1,{"p":2,"q":1}]},"b":1}""");

        Assert.Equal(CanonicalJson.Write(a), CanonicalJson.Write(b));
    }

    [Fact]
    public void Write_ArrayOrder_Matters()
    {
        Assert.NotEqual(CanonicalJson.Write(JsonNode.Parse("[1,2]")), CanonicalJson.Write(JsonNode.Parse("[2,1]")));
    }

    [Fact]
    public void Write_NullAndEmptyObject_NameTheSameWatch()
    {
        Assert.Equal(CanonicalJson.Write(null), CanonicalJson.Write(new JsonObject()));
    }
}

public class ResourceTableTests
{
    [Theory]
    [InlineData("nodes", "nodes", "id", "nodes.#")]
    [InlineData("graphObjs", "graphobjects", "instanceId", "graphobjects.#")]
    [InlineData("graphDefs", "graphdefinitions", "id", "graphdefinitions.#")]
    [InlineData("pollers", "workitems", "id", "workitems.#")]
    [InlineData("taskDefs", "taskdefinitions", "id", "taskdefinitions.#")]
    public void Defaults_ReproduceRackHdTable(string name, string collection, string idField, string routingKey)
    {
        var table = new ResourceTable(new ChannelOptions());

        Assert.True(table.TryGet(name, out var resource));
        Assert.Equal(collection, resource.Collection);
        Assert.Equal(idField, resource.IdField);
        Assert.Equal(new WatchSource("on.waterline", routingKey, WatchFormat.Waterline), resource.Watch);
    }

    [Fact]
    public void Logs_AreStoredButWatchedOnTheLoggingExchange()
    {
        var table = new ResourceTable(new ChannelOptions());

        Assert.True(table.TryGet("logs", out var logs));
        Assert.Equal("logs", logs.Collection);
        Assert.Equal(new WatchSource("on.logging", "#", WatchFormat.Raw), logs.Watch);
    }

    [Fact]
    public void Configured_Resources_AddAndOverride()
    {
        var options = new ChannelOptions
        {
            Resources =
            {
                ["heartbeats"] = new ResourceOptions { Exchange = "on.heartbeat", RoutingKey = "#" },
                ["nodes"] = new ResourceOptions { Collection = "devices" },
            },
        };
        var table = new ResourceTable(options);

        Assert.True(table.TryGet("heartbeats", out var heartbeats));
        Assert.Null(heartbeats.Collection);
        Assert.Equal(WatchFormat.Raw, heartbeats.Watch!.Format);
        Assert.True(table.TryGet("nodes", out var nodes));
        Assert.Equal("devices.#", nodes.Watch!.RoutingKey);
        Assert.True(table.TryGet("catalogs", out _));
    }

    [Fact]
    public void MqExchanges_DefaultToRackHdAllowList()
    {
        var table = new ResourceTable(new ChannelOptions());

        Assert.Equal(["on.events", "on.heartbeat", "on.logging", "on.test", "on.waterline"], table.MqExchanges.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_NamesTheOffendingKey()
    {
        var options = new ChannelOptions
        {
            Resources =
            {
                ["empty"] = new ResourceOptions(),
                ["mq"] = new ResourceOptions { Collection = "x" },
                ["nokey"] = new ResourceOptions { Exchange = "on.events" },
            },
        };

        var problems = ResourceTable.Validate(options).ToList();

        Assert.Contains(problems, p => p.StartsWith("Bridge:Channels:Resources:empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Bridge:Channels:Resources:mq", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Bridge:Channels:Resources:nokey:RoutingKey", StringComparison.Ordinal));
    }
}

public class WatchNarrowingTests
{
    private static readonly ResourceTable Table = new(new ChannelOptions());

    private static WatchSource Narrow(string resourceName, string parameters)
    {
        Assert.True(Table.TryGet(resourceName, out var resource));
        return ResourceTable.Narrow(resource.Watch!, resource, JsonNode.Parse(parameters)!.AsObject());
    }

    [Fact]
    public void EqualityOnId_NarrowsToThatRecord() =>
        Assert.Equal("nodes.*.5a1b", Narrow("nodes", """{"id":"5a1b"}""").RoutingKey);

    [Fact]
    public void GraphObjects_NarrowOnInstanceId() =>
        Assert.Equal("graphobjects.*.abc-1", Narrow("graphObjs", """{"instanceId":"abc-1"}""").RoutingKey);

    [Theory]
    [InlineData("""{"node":"5a1b"}""")]
    [InlineData("""{"id":{"$in":["a","b"]}}""")]
    [InlineData("""{"id":"a.b"}""")]
    [InlineData("""{"id":"#"}""")]
    [InlineData("""{"id":""}""")]
    public void OtherFilters_KeepTheWholeCollectionBinding(string parameters) =>
        Assert.Equal("nodes.#", Narrow("nodes", parameters).RoutingKey);
}

public class ChannelFramesTests
{
    [Fact]
    public void Error_HasTheContractShape()
    {
        var frame = JsonNode.Parse(Encoding.UTF8.GetString(ChannelFrames.Error("nodes", "invalid_filter", "no", "query").Span))!;

        Assert.Equal("error", (string?)frame["handler"]);
        Assert.Equal("nodes", (string?)frame["resource"]);
        Assert.Equal("invalid_filter", (string?)frame["params"]!["code"]);
        Assert.Equal("no", (string?)frame["params"]!["message"]);
    }

    [Fact]
    public void Error_KeepsMessagesReadable()
    {
        var text = Encoding.UTF8.GetString(ChannelFrames.Error("nodes", "invalid_filter", "operator '$where' is not allowed", null).Span);

        Assert.Contains("operator '$where' is not allowed", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_HasHandlerAndId()
    {
        var id = Guid.NewGuid();
        var frame = JsonNode.Parse(Encoding.UTF8.GetString(ChannelFrames.Session(id).Span))!;

        Assert.Equal("""{"handler":"session","id":"%"}""".Replace("%", id.ToString(), StringComparison.Ordinal), frame.ToJsonString());
    }
}
