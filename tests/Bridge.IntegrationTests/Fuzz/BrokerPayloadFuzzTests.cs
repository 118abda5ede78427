using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// Broker payloads are outside input too (issue 11, item 1): hostile bodies on the exchanges the bridge consumes
/// reach clients only as well-formed frames or not at all, and the consumers go on delivering valid events.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class BrokerPayloadFuzzTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const int Seed = 7_7;
    private const int Payloads = 2000;

    [Fact]
    public async Task HostileWaterlineAndMqBodies_ReachWatchersOnlyAsWellFormedFrames_AndValidOnesStillArrive()
    {
        var broker = fixture.Host.Services.GetRequiredService<IBroker>();
        var token = await fixture.TokenAsync("alice");
        await using var watcher = await FuzzSocket.ConnectAsync(fixture.Host.WebSocketUri($"/catalogs?token={Uri.EscapeDataString(token)}"));
        await watcher.SendAsync("""{"handler":"watch","params":{"node":{"$exists":true}}}"""u8.ToArray());
        await watcher.SendAsync("""{"handler":"watch","resource":"mq","params":{"exchange":"on.events","routingKey":"fuzz.#"}}"""u8.ToArray());
        await watcher.SendAsync("""{"handler":"init"}"""u8.ToArray());
        Assert.NotNull((await watcher.ReceiveAsync(FuzzBudget.MissingAfter)).Message);

        var generator = new HostileMessages(Seed, ["""{"event":"updated","record":{"id":"c1","node":"n1","data":{"a":[1,{"b":"x"}]}}}"""], 60 * 1024);
        for (var i = 0; i < Payloads; i++)
        {
            var body = generator.Next().Bytes;
            await broker.PublishAsync("on.waterline", $"catalogs.updated.c{i}", body, CancellationToken.None);
            await broker.PublishAsync("on.events", $"fuzz.{i}", body, CancellationToken.None);

            // Paced: the catalogs watch is filtered, and a filtered watch that falls 1 024 deliveries behind its
            // evaluation lets its members go (by design, as a slow consumer). The in-process broker hands over 2 000
            // bodies of up to 60 KB far faster than they can be parsed; that burst is not what this test is about.
            if (i % 200 == 199)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }

        await broker.PublishAsync("on.waterline", "catalogs.updated.last", """{"event":"updated","record":{"id":"last","node":"n1"}}"""u8.ToArray(), CancellationToken.None);
        while (true)
        {
            var (frame, closed) = await watcher.ReceiveAsync(FuzzBudget.MissingAfter);
            Assert.False(closed, "the watcher's connection was closed");
            Assert.NotNull(frame);
            // A record may be nested as deep as the bridge reads broker payloads (64), the frame adds its own levels.
            var message = JsonNode.Parse(frame, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 128 }) as JsonObject;
            Assert.True(message is not null && (string?)message["handler"] is "item" or "remove" && message.ContainsKey("data"), Encoding.UTF8.GetString(frame));
            if (message!["id"] is JsonArray { Count: 2 } id && (string?)id[1] == "last")
            {
                break;
            }
        }
    }

    [Fact]
    public async Task HostileLedgerEvents_AreDropped_AndAValidTransferStillArrives()
    {
        var broker = fixture.Host.Services.GetRequiredService<IBroker>();
        await using var socket = await fixture.ConnectAsync("alice");
        await socket.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{LedgerBridgeFixture.LedgerBase}}}/accounts/alice"]}}""");

        var generator = new HostileMessages(Seed + 1, [LedgerBridgeFixture.Transfer("alice", "bob"), LedgerBridgeFixture.Transfer("bob", "alice", "prepared")], 60 * 1024);
        for (var i = 0; i < Payloads; i++)
        {
            await broker.PublishAsync("ledger", i % 2 == 0 ? "transfer.update" : "transfer.create", generator.Next().Bytes, CancellationToken.None);
        }

        var marker = LedgerBridgeFixture.Transfer("alice", "carl");
        await broker.PublishAsync("ledger", "transfer.update", Encoding.UTF8.GetBytes(marker), CancellationToken.None);
        var markerId = (string?)JsonNode.Parse(marker)!["resource"]!["id"];
        while (true)
        {
            var text = await socket.ReceiveAsync("the valid transfer after the hostile ones");
            var notification = JsonNode.Parse(text, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 128 })!;
            Assert.Equal("notify", (string?)notification["method"]);
            Assert.True(notification["params"]?["resource"] is JsonObject, text);
            if (notification["params"]!["resource"]!["id"] is JsonValue id && id.TryGetValue<string>(out var value) && value == markerId)
            {
                break;
            }
        }
    }
}
