using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels;

/// <summary>
/// Many clients each watching their own thing (issue 17 §1): the topic trie routes each <c>mq</c> message to the
/// one binding it matches, and the equality index hands each <c>catalogs</c> change only to the watch of its node.
/// Run against the in-process broker and a real RabbitMQ node.
/// </summary>
public abstract class DistinctWatchTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : BridgeFixture
{
    private const int Clients = 40;
    private const int MessagesEach = 3;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task MqWatches_OneBindingEach_EveryClientGetsOnlyItsOwnMessages()
    {
        var prefix = "n" + Guid.NewGuid().ToString("N")[..8];
        var clients = await ConnectAsync(Clients);
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                await clients[i].SendAsync(new { handler = "watch", resource = "mq", @params = new { exchange = "on.logging", routingKey = $"{prefix}-{i}.#" } });
                await clients[i].SyncAsync();
            }

            // Round robin over the keys, as RackHD's nodes log: one recipient per message.
            for (var m = 0; m < MessagesEach; m++)
            {
                for (var i = 0; i < Clients; i++)
                {
                    await fixture.PublishAsync("on.logging", $"{prefix}-{i}.log.info", JsonSerializer.Serialize(new { node = i, seq = m }));
                }
            }

            for (var i = 0; i < Clients; i++)
            {
                for (var m = 0; m < MessagesEach; m++)
                {
                    var item = await clients[i].ReceiveMatchingAsync(f => (string?)f["handler"] == "item", $"message {m} of client {i}");
                    Assert.Equal($"{prefix}-{i}.log.info", (string?)item["id"]);
                    Assert.Equal(i, (int)item["data"]!["node"]!);
                    Assert.Equal(m, (int)item["data"]!["seq"]!);
                }
            }

            foreach (var client in clients)
            {
                await client.AssertNothingAsync(Quiet);
            }
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task CatalogWatches_FilteredByNode_ShareOneIndexAndEachGetsOnlyItsNode()
    {
        var prefix = "n" + Guid.NewGuid().ToString("N")[..8];
        var registry = fixture.Host.Services.GetRequiredService<WatchRegistry>();
        var indexesBefore = registry.EqualityIndexCount;
        var clients = await ConnectAsync(Clients + 1);
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                await clients[i].SendAsync(new { handler = "watch", resource = "catalogs", @params = new { node = $"{prefix}-{i}" } });
                await clients[i].SyncAsync();
            }

            // The last client adds a condition beside the equality: the index finds it, its own filter still decides.
            var picky = clients[Clients];
            await picky.SendAsync(new { handler = "watch", resource = "catalogs", @params = new { node = $"{prefix}-0", source = "dmi" } });
            await picky.SyncAsync();
            Assert.Equal(indexesBefore + 1, registry.EqualityIndexCount);

            for (var i = 0; i < Clients; i++)
            {
                await PublishCatalogAsync($"c{i}", new JsonObject { ["node"] = $"{prefix}-{i}", ["source"] = i == 0 ? "ohai" : "dmi" });
            }

            // MongoDB's equality: a string inside an array field counts.
            await PublishCatalogAsync("shared", new JsonObject { ["node"] = new JsonArray($"{prefix}-1", $"{prefix}-2"), ["source"] = "dmi" });
            await PublishCatalogAsync("dmi-of-0", new JsonObject { ["node"] = $"{prefix}-0", ["source"] = "dmi" });

            for (var i = 0; i < Clients; i++)
            {
                var expected = i switch
                {
                    0 => new[] { "c0", "dmi-of-0" },
                    1 or 2 => [$"c{i}", "shared"],
                    _ => [$"c{i}"],
                };
                foreach (var id in expected)
                {
                    var item = await clients[i].ReceiveMatchingAsync(f => (string?)f["handler"] == "item", $"catalog {id} on client {i}");
                    Assert.Equal(id, (string?)item["id"]![1]);
                }
            }

            var only = await picky.ReceiveMatchingAsync(f => (string?)f["handler"] == "item", "the dmi catalog of node 0");
            Assert.Equal("dmi-of-0", (string?)only["id"]![1]);
            // Nothing else arrives (a timed-out receive would abort the socket, so wait, then read what came before
            // the reply to a stop). Stopping every watch ends the index (and its broker subscription) with the last one.
            await Task.Delay(Quiet);
            for (var i = 0; i < clients.Count; i++)
            {
                await clients[i].SendAsync(new { handler = "stop", resource = "catalogs" });
                var extra = await clients[i].SyncAsync();
                Assert.True(extra.Count == 0, $"client {i} got more: {string.Join(", ", extra.Select(f => f.ToJsonString()))}");
            }

            Assert.Equal(indexesBefore, registry.EqualityIndexCount);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    private Task PublishCatalogAsync(string id, JsonObject record)
    {
        record["id"] = id;
        return fixture.PublishAsync("on.waterline", $"catalogs.created.{id}", new JsonObject { ["event"] = "created", ["record"] = record }.ToJsonString());
    }

    private async Task<List<ChannelClient>> ConnectAsync(int count)
    {
        var clients = new List<ChannelClient>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(await ChannelClient.ConnectAsync(fixture.WebSocketUri("/")));
        }

        return clients;
    }

    private static async Task DisposeAllAsync(List<ChannelClient> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}

public sealed class EmbeddedDistinctWatchTests(EmbeddedBridgeFixture fixture) : DistinctWatchTests<EmbeddedBridgeFixture>(fixture);

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqDistinctWatchTests(RabbitMqBridgeFixture fixture) : DistinctWatchTests<RabbitMqBridgeFixture>(fixture);
