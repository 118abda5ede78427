using Bridge.Channels;

namespace Bridge.UnitTests.Channels;

public sealed class ChangeSourceConfigurationTests
{
    [Fact]
    public void OnlyChanges_OnADefaultResource_KeepsTheRestOfItsDefinition()
    {
        var options = new ChannelOptions { Resources = { ["graphObjs"] = new ResourceOptions { Changes = ChangeSource.ChangeStream } } };

        Assert.Empty(ResourceTable.Validate(options));
        Assert.True(new ResourceTable(options).TryGet("graphObjs", out var graphObjs));
        Assert.Equal("graphobjects", graphObjs.Collection);
        Assert.Equal("instanceId", graphObjs.IdField);
        Assert.Equal(new WatchSource("on.waterline", "graphobjects.#", WatchFormat.Waterline), graphObjs.Watch);
        Assert.Equal(ChangeSource.ChangeStream, graphObjs.Changes);
    }

    [Fact]
    public void Default_IsTheBroker_AndTheGlobalSwitchMovesEveryCollectionResource()
    {
        var options = new ChannelOptions
        {
            Resources =
            {
                ["heartbeats"] = new ResourceOptions { Exchange = "on.heartbeat", RoutingKey = "#" },
                ["nodes"] = new ResourceOptions { Changes = ChangeSource.Both },
            },
        };

        var plain = new ResourceTable(options);
        var switched = new ResourceTable(options, changeStreamsByDefault: true);

        Assert.True(plain.TryGet("catalogs", out var catalogs));
        Assert.Equal(ChangeSource.Broker, catalogs.Changes);
        Assert.True(switched.TryGet("catalogs", out catalogs));
        Assert.Equal(ChangeSource.ChangeStream, catalogs.Changes);
        Assert.True(switched.TryGet("heartbeats", out var heartbeats));
        Assert.Equal(ChangeSource.Broker, heartbeats.Changes);
        Assert.True(switched.TryGet("nodes", out var nodes));
        Assert.Equal(ChangeSource.Both, nodes.Changes);
        Assert.True(switched.TryGet("mq", out var mq));
        Assert.Equal(ChangeSource.Broker, mq.Changes);
    }

    [Fact]
    public void Validate_RefusesAChangeStreamWithoutCollection_AndBothOnARawResource()
    {
        var options = new ChannelOptions
        {
            Resources =
            {
                ["beats"] = new ResourceOptions { Exchange = "on.heartbeat", RoutingKey = "#", Changes = ChangeSource.ChangeStream },
                ["logs"] = new ResourceOptions { Changes = ChangeSource.Both },
            },
        };

        var problems = ResourceTable.Validate(options).ToList();

        Assert.Contains(problems, p => p.StartsWith("Bridge:Channels:Resources:beats:Changes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Bridge:Channels:Resources:logs:Changes", StringComparison.Ordinal));
    }
}
