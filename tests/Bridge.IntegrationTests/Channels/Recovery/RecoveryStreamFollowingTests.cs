using System.Globalization;
using System.Text;
using Bridge.Broker.Recovery;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>
/// An instance reads a recovery stream only while one of its recovering watches needs the live tail (issue 17:
/// following every retained exchange's stream made the bridge receive every message twice). The stream itself keeps
/// the messages either way; the exchange here is the test's own, so no other bridge on the node consumes its stream.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RecoveryStreamFollowingTests
{
    // Long enough for a stream reader on loopback to have delivered the same message a second time, were there one.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task TheStream_IsConsumedOnlyWhileARecoveringWatchIsOpen_AndPositionsGoOnAfterARestart()
    {
        var amqp = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "follow-" + Guid.NewGuid().ToString("N")[..10];
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = amqp,
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Channels:MqExchanges:0"] = exchange,
            ["Bridge:Recovery:Exchanges:0"] = exchange,

            // RabbitMQ.Client's deliver spans count what the bridge's AMQP consumers receive, from its queue and its streams.
            ["Bridge:Tracing:Enabled"] = "true",
        });
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        var log = host.Services.GetRequiredService<RabbitMqRecoveryLog>();
        await WaitUntil.TrueAsync(() => log.IsReady, "the recovery stream declared");

        await using var producer = await new ConnectionFactory { Uri = new Uri(amqp) }.CreateConnectionAsync();
        await using var channel = await producer.CreateChannelAsync();
        var stream = RabbitMqRecoveryLog.StreamName(exchange);
        using var deliveries = new DeliverySpans(exchange);
        try
        {
            await FollowAndStopAsync(host, log, channel, exchange, deliveries);
        }
        finally
        {
            // The test's own stream and exchange, not to be left on the shared node.
            await channel.QueueDeleteAsync(stream);
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    private static async Task FollowAndStopAsync(BridgeHost host, RabbitMqRecoveryLog log, IChannel channel, string exchange, DeliverySpans deliveries)
    {
        // A plain watch is fed by the instance's own queue: the stream stays unread.
        await using var plain = await ChannelClient.ConnectAsync(host.WebSocketUri("mq"));
        await plain.SendTextAsync(Watch(exchange, recover: false));
        await plain.SyncAsync();
        await PublishAsync(channel, exchange, 0);
        Assert.Equal("item", (string?)(await plain.ReceiveAsync(awaiting: "the plain watch's item"))["handler"]);
        Assert.False(log.IsFollowing(exchange));
        await Task.Delay(Settle);
        Assert.Equal(1, deliveries.Of("t.0"));

        // A recovering watch needs the positions of the live tail: the instance follows the stream while it is open.
        long firstOffset;
        await using (var recovering = await ChannelClient.ConnectAsync(host.WebSocketUri("mq")))
        {
            await recovering.SendTextAsync(Watch(exchange, recover: true));
            await recovering.SyncAsync();
            Assert.True(log.IsFollowing(exchange));
            await PublishAsync(channel, exchange, 1);
            firstOffset = Offset(await recovering.ReceiveMatchingAsync(f => f["position"] is not null, "a positioned item"));

            // The plain watch's queue and the stream: both read it now.
            await WaitUntil.TrueAsync(() => deliveries.Of("t.1") == 2, () => $"t.1 reached the bridge {deliveries.Of("t.1")} times, expected twice");

            await recovering.SendTextAsync($$$"""{"handler":"stop","resource":"mq","params":{"exchange":"{{{exchange}}}","routingKey":"t.#"}}""");
            await WaitUntil.TrueAsync(() => !log.IsFollowing(exchange), "the stream's reader stopped after the last recovering watch");
        }

        await PublishAsync(channel, exchange, 2);
        Assert.Equal("item", (string?)(await plain.ReceiveMatchingAsync(f => (int?)f["data"]?["n"] == 2, "the plain watch's second item"))["handler"]);
        await Task.Delay(Settle);
        Assert.Equal(1, deliveries.Of("t.2"));

        // Followed again from its tail: the message published while nobody read the stream is kept in it, so the
        // next live position is past it.
        await using var again = await ChannelClient.ConnectAsync(host.WebSocketUri("mq"));
        await again.SendTextAsync(Watch(exchange, recover: true));
        await again.SyncAsync();
        await PublishAsync(channel, exchange, 3);
        var frame = await again.ReceiveMatchingAsync(f => f["position"] is not null, "a positioned item after the restart");
        Assert.Equal(3, (int?)frame["data"]!["n"]);
        Assert.True(Offset(frame) >= firstOffset + 2, $"offset {Offset(frame)} follows {firstOffset} and the unread message");
    }

    private static string Watch(string exchange, bool recover) =>
        $$$"""{"handler":"watch","params":{"exchange":"{{{exchange}}}","routingKey":"t.#"}{{{(recover ? ",\"recover\":true" : "")}}}}""";

    private static long Offset(System.Text.Json.Nodes.JsonObject frame)
    {
        var position = (string)frame["position"]!;
        return long.Parse(position[(position.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task PublishAsync(IChannel channel, string exchange, int n) =>
        await channel.BasicPublishAsync(exchange, $"t.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""));
}
