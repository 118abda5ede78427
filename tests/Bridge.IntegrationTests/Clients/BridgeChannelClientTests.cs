using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Client.Channels;
using Bridge.Connections;
using Bridge.Demo;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Clients;

/// <summary>The .NET channel client against a real bridge on its embedded defaults.</summary>
public sealed class BridgeChannelClientTests : IAsyncLifetime
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    private BridgeHost _host = null!;

    public async Task InitializeAsync() => _host = await BridgeHost.StartAsync(Settings());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Connect_ReportsSessionAndReady()
    {
        await using var client = NewClient("nodes");
        var ready = new TaskCompletionSource<ChannelReadyEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Ready += (_, args) => ready.TrySetResult(args);

        await client.ConnectAsync().WaitAsync(EventTimeout);

        var args = await ready.Task.WaitAsync(EventTimeout);
        Assert.False(args.IsReconnect);
        Assert.Equal(client.SessionId, args.SessionId);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task AllQueryGet_ReturnTypedReplies()
    {
        await using var client = await ConnectedClientAsync("nodes");

        var all = await client.AllAsync();
        var query = await client.QueryAsync(new JsonObject { ["type"] = "switch" });
        var found = await client.GetAsync(new JsonObject { ["id"] = SampleData.PduNodeId });
        var missing = await client.GetAsync(new JsonObject { ["id"] = "no-such-node" });

        Assert.Equal("nodes", all.Resource);
        Assert.Equal(SampleData.NodeIds.Count, all.Items.Count);
        Assert.Equal(SampleData.SwitchNodeIds.Order(), query.Items.Select(item => item["id"]!.GetValue<string>()).Order());
        Assert.Equal(SampleData.PduNodeId, found?.DocumentId);
        Assert.Null(missing);
    }

    [Fact]
    public async Task ConcurrentRequests_OnSeveralResources_EachGetsItsOwnReply()
    {
        await using var client = await ConnectedClientAsync("");

        // Fired together: replies are matched by (kind, resource) in order, not by arrival.
        var nodes = client.AllAsync("nodes");
        var skus = client.AllAsync("skus");
        var computeNodes = client.QueryAsync(new JsonObject { ["type"] = "compute" }, "nodes");
        var sku = client.GetAsync(new JsonObject { ["id"] = SampleData.SkuIds[1] }, "skus");
        var missing = client.GetAsync(new JsonObject { ["id"] = "nothing" }, "skus");
        await Task.WhenAll(nodes, skus, computeNodes, sku, missing).WaitAsync(EventTimeout);

        Assert.Equal(SampleData.NodeIds.Count, (await nodes).Items.Count);
        Assert.Equal(SampleData.SkuIds.Count, (await skus).Items.Count);
        Assert.Equal(SampleData.ComputeNodeIds.Count, (await computeNodes).Items.Count);
        Assert.Equal(SampleData.SkuIds[1], (await sku)?.DocumentId);
        Assert.Null(await missing);
    }

    [Fact]
    public async Task Query_WithForbiddenOperator_ThrowsChannelErrorWithServerCode()
    {
        await using var client = await ConnectedClientAsync("nodes");

        var error = await Assert.ThrowsAsync<ChannelErrorException>(
            () => client.QueryAsync(new JsonObject { ["$where"] = "sleep(1000)" }).WaitAsync(EventTimeout));
        var afterwards = await client.AllAsync("skus").WaitAsync(EventTimeout);

        Assert.Equal("invalid_filter", error.Code);
        Assert.Equal("query", error.Request);
        Assert.False(string.IsNullOrWhiteSpace(error.ServerMessage));
        Assert.Equal(SampleData.SkuIds.Count, afterwards.Items.Count);
    }

    [Fact]
    public async Task All_OnUnknownResource_ThrowsUnknownResource()
    {
        await using var client = await ConnectedClientAsync("nodes");

        var error = await Assert.ThrowsAsync<ChannelErrorException>(() => client.AllAsync("nope").WaitAsync(EventTimeout));

        Assert.Equal("unknown_resource", error.Code);
    }

    [Fact]
    public async Task Watch_OnCollection_StreamsItemsAndRemoves()
    {
        await using var client = await ConnectedClientAsync("nodes");
        await using var watch = await client.WatchAsync();
        await WaitForWatchAsync("nodes");

        await PublishAsync("on.waterline", "nodes.updated.n1", new { @event = "updated", record = new { id = "n1", name = "one" } });
        await PublishAsync("on.waterline", "nodes.destroyed.n1", new { @event = "destroyed", record = new { id = "n1" } });

        var item = Assert.IsType<ChannelItem>(await watch.ReadAsync(EventTimeout));
        var remove = Assert.IsType<ChannelRemove>(await watch.ReadAsync(EventTimeout));
        Assert.Equal("updated", item.ChangeKind);
        Assert.Equal("n1", item.DocumentId);
        Assert.Equal("one", item.Data?["name"]?.GetValue<string>());
        Assert.Equal("n1", remove.Id?.GetValue<string>());
    }

    [Fact]
    public async Task Watch_TwoMqWatches_EachGetsOnlyItsRoutingKeys()
    {
        await using var client = await ConnectedClientAsync("mq");
        await using var events = await client.WatchAsync(new JsonObject { ["exchange"] = "on.events", ["routingKey"] = "graph.#" });
        await using var logs = await client.WatchAsync(new JsonObject { ["exchange"] = "on.logging", ["routingKey"] = "#" });
        await WaitForWatchAsync("mq", count: 2);

        await PublishAsync("on.logging", "info", new { message = "hello" });
        await PublishAsync("on.events", "graph.started.information.g1", new { type = "graph", action = "started" });

        var log = Assert.IsType<ChannelItem>(await logs.ReadAsync(EventTimeout));
        var graph = Assert.IsType<ChannelItem>(await events.ReadAsync(EventTimeout));
        Assert.Equal("info", log.Id?.GetValue<string>());
        Assert.Equal("graph.started.information.g1", graph.Id?.GetValue<string>());
        await Assert.ThrowsAsync<TimeoutException>(() => events.ReadAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task StoppedWatch_EndsItsStream_AndTheServerStopsSending()
    {
        await using var client = await ConnectedClientAsync("nodes");
        var watch = await client.WatchAsync();
        await WaitForWatchAsync("nodes");

        await watch.StopAsync();

        var drained = await watch.ReadAllAsync().ToListAsync().AsTask().WaitAsync(EventTimeout);
        Assert.Empty(drained);
        await WaitUntil.TrueAsync(() => WatchGroups() == 0, "the server to drop the watch");
    }

    [Fact]
    public async Task Disconnect_StaysDisconnected_AndFailsLaterRequests()
    {
        var client = await ConnectedClientAsync("nodes");
        await client.WatchAsync();
        await WaitUntil.TrueAsync(() => Connections() == 1, "the connection to register");

        await client.DisconnectAsync().WaitAsync(EventTimeout);
        await WaitUntil.TrueAsync(() => Connections() == 0, "the connection to close");
        await Task.Delay(TimeSpan.FromSeconds(1)); // several reconnect delays: none must happen

        Assert.Equal(0, Connections());
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.AllAsync());
        await client.DisposeAsync();
    }

    [Fact]
    public async Task BridgeRestart_ClientReconnectsByItself_AndRestoresWatches()
    {
        await using var client = await ConnectedClientAsync("");
        var reconnected = new TaskCompletionSource<ChannelReadyEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Ready += (_, args) =>
        {
            if (args.IsReconnect)
            {
                reconnected.TrySetResult(args);
            }
        };
        await using var nodes = await client.WatchAsync(resource: "nodes");
        await using var logs = await client.WatchAsync(new JsonObject { ["exchange"] = "on.logging", ["routingKey"] = "#" }, "mq");
        await WaitForWatchAsync("nodes and mq", count: 2);
        var firstSession = client.SessionId;

        // Same port, same data: what an operator's restart looks like to a client.
        var baseUri = _host.BaseUri;
        var dataDirectory = _host.DataDirectory;
        await _host.DisposeAsync();
        _host = await StartOnPortAsync(baseUri, dataDirectory);

        var args = await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, args.WatchesRestored);
        Assert.NotEqual(firstSession, client.SessionId);
        await WaitForWatchAsync("nodes and mq", count: 2);

        await PublishAsync("on.waterline", "nodes.created.n2", new { @event = "created", record = new { id = "n2" } });
        await PublishAsync("on.logging", "warning", new { message = "after restart" });
        var item = Assert.IsType<ChannelItem>(await nodes.ReadAsync(EventTimeout));
        var log = Assert.IsType<ChannelItem>(await logs.ReadAsync(EventTimeout));
        Assert.Equal("n2", item.DocumentId);
        Assert.Equal("after restart", log.Data?["message"]?.GetValue<string>());
        Assert.Equal(SampleData.NodeIds.Count, (await client.AllAsync("nodes").WaitAsync(EventTimeout)).Items.Count);
    }

    [Fact]
    public async Task RequestDuringOutage_WaitsForTheReconnection()
    {
        await using var client = await ConnectedClientAsync("skus");
        var baseUri = _host.BaseUri;
        var dataDirectory = _host.DataDirectory;
        await _host.DisposeAsync();

        var pending = client.AllAsync();
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);
        _host = await StartOnPortAsync(baseUri, dataDirectory);

        var list = await pending.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(SampleData.SkuIds.Count, list.Items.Count);
    }

    internal static Dictionary<string, string?> Settings() => new()
    {
        ["Bridge:Channels:AllowAnonymous"] = "true",
    };

    internal static async Task<BridgeHost> StartOnPortAsync(Uri baseUri, string dataDirectory)
    {
        // The old listener's port can take a moment to be free again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BridgeHost.StartAsync(Settings(), dataDirectory, baseUri);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    private BridgeChannelClient NewClient(string channel) => new(new BridgeChannelClientOptions
    {
        Uri = _host.WebSocketUri(channel),
        RequestTimeout = TimeSpan.FromSeconds(20),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
    });

    private async Task<BridgeChannelClient> ConnectedClientAsync(string channel)
    {
        var client = NewClient(channel);
        await client.ConnectAsync().WaitAsync(EventTimeout);
        return client;
    }

    private Task PublishAsync(string exchange, string routingKey, object body) =>
        _host.Services.GetRequiredService<IBroker>()
            .PublishAsync(exchange, routingKey, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)), CancellationToken.None)
            .AsTask().WaitAsync(EventTimeout);

    private int Connections() => _host.Services.GetRequiredService<ConnectionRegistry>().Count;

    /// <summary>A watch has no reply: wait until the server holds it (each test's host is its own, so the group count is this test's).</summary>
    private Task WaitForWatchAsync(string resource, int count = 1) =>
        WaitUntil.TrueAsync(() => WatchGroups() >= count, $"{count} watch(es) on {resource}");

    // The client recovers its watches by default (issue 16 §1): those are groups of the recovering registry.
    private int WatchGroups() => _host.Services.GetRequiredService<Bridge.Channels.WatchRegistry>().GroupCount
        + _host.Services.GetRequiredService<Bridge.Channels.Recovery.RecoveringWatchRegistry>().GroupCount;

}
