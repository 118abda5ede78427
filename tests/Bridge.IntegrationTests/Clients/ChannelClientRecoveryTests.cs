using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Client.Channels;
using Bridge.Connections;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Clients;

/// <summary>The .NET channel client recovers its watches by default (issue 16 §1): nothing published while it reconnects is lost.</summary>
public sealed class ChannelClientRecoveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Watch_AfterTheConnectionDrops_GetsEveryMessageOnceInOrder_AndIsToldItRecovered()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var broker = host.Services.GetRequiredService<IBroker>();
        await using var client = new BridgeChannelClient(new BridgeChannelClientOptions { Uri = host.WebSocketUri("mq") });
        await client.ConnectAsync();
        await using var watch = await client.WatchAsync(new JsonObject { ["exchange"] = "on.test", ["routingKey"] = "client.#" });
        await client.QueryAsync(new JsonObject(), "nodes"); // a round trip: the watch is active on the bridge

        for (var n = 0; n < 5; n++)
        {
            await PublishAsync(broker, n);
        }

        var before = await ReadItemsAsync(watch, 5);
        Assert.Equal([0, 1, 2, 3, 4], before);
        Assert.NotNull(watch.Position);

        // Drop every connection, and publish while the client is reconnecting.
        // (The registry has no "abort all" since main dropped it: its broadcast filter visits every connection.)
        host.Services.GetRequiredService<ConnectionRegistry>().Broadcast(ReadOnlyMemory<byte>.Empty, static connection =>
        {
            connection.Abort();
            return false;
        });
        for (var n = 5; n < 25; n++)
        {
            await PublishAsync(broker, n);
        }

        var after = new List<int>();
        ChannelRecovered? recovered = null;
        using var deadline = new CancellationTokenSource(Wait);
        while (after.Count < 20 || recovered is null)
        {
            switch (await watch.ReadAsync(Wait, deadline.Token))
            {
                case ChannelItem item:
                    after.Add((int)item.Data!["n"]!);
                    Assert.NotNull(item.Position);
                    break;
                case ChannelRecovered done:
                    Assert.Null(recovered);
                    recovered = done;
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(5, 20), after);
        Assert.True(recovered.Recovered);
        Assert.InRange(recovered.Missed, 0, 20);
        Assert.Equal("mq", recovered.Resource);
    }

    [Fact]
    public async Task Watch_WithRecoverOff_SendsNoRecover_AndItsItemsCarryNoPosition()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var broker = host.Services.GetRequiredService<IBroker>();
        await using var client = new BridgeChannelClient(new BridgeChannelClientOptions { Uri = host.WebSocketUri("mq"), Recover = false });
        await client.ConnectAsync();
        await using var watch = await client.WatchAsync(new JsonObject { ["exchange"] = "on.test", ["routingKey"] = "client.#" });
        await client.QueryAsync(new JsonObject(), "nodes");
        await PublishAsync(broker, 1);
        var item = Assert.IsType<ChannelItem>(await watch.ReadAsync(Wait));
        Assert.Null(item.Position);
        Assert.Null(watch.Position);
    }

    /// <summary>
    /// A <c>"recover"</c> watch on an exchange the bridge does not retain is refused with <c>not_supported</c>: the
    /// client watches it again without recovery, tells the application once (recovered false, recovery not
    /// supported), raises no error, and its other watch of the same resource keeps recovering.
    /// </summary>
    [Fact]
    public async Task Watch_OnAnExchangeWithoutRetention_IsRetriedWithoutRecover_AndTheApplicationIsTold()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Recovery:Exchanges:0"] = "on.logging",
        });
        var broker = host.Services.GetRequiredService<IBroker>();
        await using var client = new BridgeChannelClient(new BridgeChannelClientOptions { Uri = host.WebSocketUri("mq") });
        var errors = new List<ChannelErrorException>();
        client.Error += (_, args) => errors.Add(args.Error);
        await client.ConnectAsync();
        await using var plain = await client.WatchAsync(new JsonObject { ["exchange"] = "on.test", ["routingKey"] = "client.#" });
        // Another routing key: the client tells mq watches apart by it, not by exchange.
        await using var retained = await client.WatchAsync(new JsonObject { ["exchange"] = "on.logging", ["routingKey"] = "logs.#" });

        var told = Assert.IsType<ChannelRecovered>(await plain.ReadAsync(Wait));
        Assert.False(told.Recovered);
        Assert.False(told.RecoverySupported);
        Assert.Equal("on.test", (string?)told.Parameters?["exchange"]);

        // The watch is re-sent off the receive loop: a round trip, then a message, until one arrives.
        ChannelItem? item = null;
        for (var attempt = 0; attempt < 10 && item is null; attempt++)
        {
            await client.QueryAsync(new JsonObject(), "nodes");
            await PublishAsync(broker, 1);
            try
            {
                item = await plain.ReadAsync(TimeSpan.FromSeconds(2)) as ChannelItem;
            }
            catch (TimeoutException)
            {
                // Not active yet: again.
            }
        }

        Assert.NotNull(item);
        Assert.Null(item.Position);
        await broker.PublishAsync("on.logging", "logs.2", Encoding.UTF8.GetBytes("""{"n":2}"""), CancellationToken.None);
        var positioned = Assert.IsType<ChannelItem>(await retained.ReadAsync(Wait));
        Assert.NotNull(positioned.Position);
        Assert.Null(plain.Position);
        Assert.Empty(errors);
    }

    private static Task PublishAsync(IBroker broker, int n) =>
        broker.PublishAsync("on.test", $"client.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""), CancellationToken.None).AsTask();

    private static async Task<List<int>> ReadItemsAsync(ChannelWatch watch, int count)
    {
        var numbers = new List<int>();
        while (numbers.Count < count)
        {
            if (await watch.ReadAsync(Wait) is ChannelItem item)
            {
                numbers.Add((int)item.Data!["n"]!);
            }
        }

        return numbers;
    }
}
