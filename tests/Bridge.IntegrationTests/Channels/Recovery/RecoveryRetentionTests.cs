using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>Retention on the embedded broker: a position the log has trimmed past gets <c>recovered:false</c>.</summary>
public sealed class RecoveryRetentionTests
{
    [Fact]
    public async Task RecoveringWatch_PositionOlderThanRetention_AnswersRecoveredFalse_ThenLive()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Recovery:MaxBytes"] = "1024",
        });
        var broker = host.Services.GetRequiredService<IBroker>();
        var padding = new string('x', 100);
        string position;
        await using (var first = await ChannelClient.ConnectAsync(host.WebSocketUri("mq")))
        {
            await first.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.test","routingKey":"old.#"},"recover":true}""");
            await first.SyncAsync();
            await broker.PublishAsync("on.test", "old.0", Encoding.UTF8.GetBytes($$"""{"n":0,"pad":"{{padding}}"}"""), CancellationToken.None);
            position = (string)(await first.ReceiveAsync(awaiting: "the first item"))["position"]!;
        }

        // 30 × ~110 bytes: three times the 1 KiB budget, so the message right after the position is gone.
        for (var n = 1; n <= 30; n++)
        {
            await broker.PublishAsync("on.test", $"old.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}},"pad":"{{padding}}"}"""), CancellationToken.None);
        }

        await using var second = await ChannelClient.ConnectAsync(host.WebSocketUri("mq"));
        await second.SendTextAsync($$"""{"handler":"watch","params":{"exchange":"on.test","routingKey":"old.#"},"recover":true,"since":"{{position}}"}""");
        var recovered = await second.ReceiveAsync(awaiting: "recovered:false");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.False((bool?)recovered["recovered"], recovered.ToJsonString());

        await broker.PublishAsync("on.test", "old.live", Encoding.UTF8.GetBytes("""{"n":99}"""), CancellationToken.None);
        var live = await second.ReceiveAsync(awaiting: "the live item");
        Assert.Equal(99, (int?)live["data"]!["n"]);
    }

    [Fact]
    public async Task RecoveryExchanges_Invalid_FailsAtStart_NamingTheKey()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Recovery:Exchanges:0"] = "bad exchange name!",
        }));
        Assert.Contains("Bridge:Recovery:Exchanges:0", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecoverOnAnExchangeThatIsNotRetained_IsNotSupported()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Recovery:Exchanges:0"] = "on.logging",
        });
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("mq"));
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.test","routingKey":"#"},"recover":true}""");
        var error = await client.ReceiveAsync(awaiting: "the error");
        Assert.Equal("not_supported", (string?)error["params"]!["code"]);
        Assert.Contains("Bridge:Recovery:Exchanges", (string?)error["params"]!["message"], StringComparison.Ordinal);

        // The refused watch is named by its params, so a client with several watches of one resource knows which.
        Assert.Equal("watch", (string?)error["params"]!["request"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"exchange":"on.test","routingKey":"#"}"""), error["params"]!["watch"]), error.ToJsonString());
    }
}
