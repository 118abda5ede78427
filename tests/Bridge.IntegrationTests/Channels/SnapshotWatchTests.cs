using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Documents;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels;

/// <summary>A snapshot watch while changes are published during the snapshot read (the store is held mid-read).</summary>
public sealed class SnapshotWatchTests
{
    [Fact]
    public async Task WatchWithSnapshot_ChangesDuringTheRead_AreNeitherLostNorRepeated()
    {
        var gate = new GatedStore();
        await using var host = await BridgeHost.StartAsync(
            new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" },
            configureServices: services => services.AddSingleton<IDocumentStore>(sp => gate.Wrap(sp.GetRequiredService<EmbeddedDocumentStore>())));
        var store = host.Services.GetRequiredService<EmbeddedDocumentStore>();
        var broker = host.Services.GetRequiredService<IBroker>();
        await store.UpsertAsync("skus", "a", Record("a", "2030-01-01T00:00:01.000Z"), CancellationToken.None);
        await store.UpsertAsync("skus", "b", Record("b", "2030-01-01T00:00:01.000Z"), CancellationToken.None);

        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("skus"));
        gate.HoldNextFind();
        await client.SendTextAsync("""{"handler":"watch","params":{"group":"snap"},"snapshot":true}""");
        await gate.Reading.WaitAsync(TimeSpan.FromSeconds(10));

        // While the snapshot is being read: a reflects its change already (same updatedAt), b changes after
        // the read, c is new.
        await store.UpsertAsync("skus", "a", Record("a", "2030-01-01T00:00:02.000Z"), CancellationToken.None);
        await PublishAsync(broker, "updated", Record("a", "2030-01-01T00:00:02.000Z"));
        await PublishAsync(broker, "updated", Record("b", "2030-01-01T00:00:03.000Z"));
        await PublishAsync(broker, "created", Record("c", "2030-01-01T00:00:03.000Z"));
        await Task.Delay(500); // the in-process broker delivers asynchronously: let the three frames be held
        gate.Release();

        var list = await client.ReceiveAsync(awaiting: "the snapshot list");
        Assert.Equal("list", (string?)list["handler"]);
        var snapshot = list["items"]!.AsArray().ToDictionary(i => (string)i!["id"]!, i => (string?)i!["updatedAt"]);
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "2030-01-01T00:00:02.000Z", ["b"] = "2030-01-01T00:00:01.000Z" }, snapshot);

        var afterB = await client.ReceiveAsync(awaiting: "b's update");
        var afterC = await client.ReceiveAsync(awaiting: "c's creation");
        Assert.Equal("""["updated","b"]""", afterB["id"]!.ToJsonString());
        Assert.Equal("""["created","c"]""", afterC["id"]!.ToJsonString());

        await PublishAsync(broker, "destroyed", Record("a", "2030-01-01T00:00:04.000Z"));
        var removed = await client.ReceiveAsync(awaiting: "a's removal, live");
        Assert.Equal("remove", (string?)removed["handler"]);
        Assert.Equal("a", (string?)removed["id"]);
        await client.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task WatchWithSnapshot_OnATopicOnlyResource_IsNotSupported()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        await using var client = await ChannelClient.ConnectAsync(host.WebSocketUri("mq"));

        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.events","routingKey":"#"},"snapshot":true}""");
        var reply = await client.ReceiveAsync();

        Assert.Equal("error", (string?)reply["handler"]);
        Assert.Equal("not_supported", (string?)reply["params"]!["code"]);
    }

    private static JsonObject Record(string id, string updatedAt) => new() { ["id"] = id, ["group"] = "snap", ["updatedAt"] = updatedAt };

    private static Task PublishAsync(IBroker broker, string @event, JsonObject record) =>
        broker.PublishAsync("on.waterline", $"skus.{@event}.{record["id"]}",
            JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["event"] = @event, ["record"] = record.DeepClone() }), CancellationToken.None).AsTask();

    /// <summary>Holds one FindAsync in the middle of the read until the test releases it.</summary>
    private sealed class GatedStore
    {
        private readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _hold;

        public Task Reading => _reading.Task;

        public void HoldNextFind() => Volatile.Write(ref _hold, 1);

        public void Release() => _release.TrySetResult();

        public IDocumentStore Wrap(IDocumentStore inner) => new Store(inner, this);

        private sealed class Store(IDocumentStore inner, GatedStore gate) : IDocumentStore
        {
            public DependencyStatus Status => inner.Status;

            public async Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken)
            {
                if (Interlocked.Exchange(ref gate._hold, 0) == 1)
                {
                    gate._reading.TrySetResult();
                    await gate._release.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                }

                return await inner.FindAsync(collection, query, cancellationToken);
            }

            public Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken) => inner.CountAsync(collection, filter, cancellationToken);

            public Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken) => inner.InsertAsync(collection, document, cancellationToken);

            public Task UpsertAsync(string collection, string id, JsonObject document, CancellationToken cancellationToken) => inner.UpsertAsync(collection, id, document, cancellationToken);

            public Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken) => inner.DeleteAsync(collection, id, cancellationToken);


            public Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken) => inner.EnsureIndexAsync(collection, index, cancellationToken);
        }
    }
}
