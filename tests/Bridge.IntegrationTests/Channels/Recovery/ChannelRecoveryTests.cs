using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Broker.Recovery;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>
/// Recovery on the channel protocol (issue 16 §1), run on the embedded broker and on RabbitMQ. On RabbitMQ the
/// reconnect goes to a second bridge instance on the same broker, so positions are checked across instances.
/// </summary>
public abstract class ChannelRecoveryTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : BridgeFixture, IRecoveryFixture
{
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    protected TFixture Fixture { get; } = fixture;

    [Fact]
    public async Task RecoveringWatch_ReconnectWithSince_ReplaysExactlyTheMissedInOrder_ThenRecovered_ThenLive()
    {
        var key = NewKey();
        string lastPosition;
        await using (var first = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq")))
        {
            await first.SendTextAsync(MqWatch(key, since: null));
            await first.SyncAsync();
            await PublishNumbersAsync(key, 0, 100);
            var seen = await ReceiveNumbersAsync(first, 100);
            Assert.Equal(Enumerable.Range(0, 100), seen.Select(static f => f.N));
            AssertIncreasing(seen);
            lastPosition = seen[^1].Position;
        }

        // Right after publishing, whether or not the instance the client comes back to has read them yet: the
        // replay goes to the stream's end as it is when the watch arrives.
        await PublishNumbersAsync(key, 100, 100);

        await using var second = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("mq"));
        await second.SendTextAsync(MqWatch(key, since: lastPosition));
        var missed = await ReceiveNumbersAsync(second, 100);
        Assert.Equal(Enumerable.Range(100, 100), missed.Select(static f => f.N));
        AssertIncreasing([(0, lastPosition), .. missed]);

        var recovered = await second.ReceiveAsync(awaiting: "the recovered frame");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.Equal("mq", (string?)recovered["resource"]);
        Assert.True((bool?)recovered["recovered"], recovered.ToJsonString());
        Assert.Equal(100, (int?)recovered["missed"]);
        Assert.Equal($"{key}.#", (string?)recovered["params"]!["routingKey"]);

        await PublishNumbersAsync(key, 200, 5);
        var live = await ReceiveNumbersAsync(second, 5);
        Assert.Equal(Enumerable.Range(200, 5), live.Select(static f => f.N));
        AssertIncreasing([missed[^1], .. live]);
        await second.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task RecoveringWatch_WhileMessagesKeepComing_LosesNoneAndRepeatsNoneAtTheSeam()
    {
        var key = NewKey();
        string lastPosition;
        await using (var first = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq")))
        {
            await first.SendTextAsync(MqWatch(key, since: null));
            await first.SyncAsync();
            await PublishNumbersAsync(key, 0, 10);
            lastPosition = (await ReceiveNumbersAsync(first, 10))[^1].Position;
        }

        // These 50 are stored before the watch comes back, so at least 50 count as missed (see the first test).
        await PublishNumbersAsync(key, 10, 50);

        // Publishing goes on while the second connection replays: the seam falls somewhere in this stream.
        await using var second = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("mq"));
        var publishing = PublishNumbersAsync(key, 60, 140);
        await second.SendTextAsync(MqWatch(key, since: lastPosition));
        var frames = new List<(int N, string Position)>();
        var sawRecovered = false;
        while (frames.Count < 190)
        {
            var frame = await second.ReceiveAsync(awaiting: $"frame {frames.Count + 10} of 200");
            if ((string?)frame["handler"] == "recovered")
            {
                Assert.False(sawRecovered, "one recovered frame");
                Assert.True((bool?)frame["recovered"], frame.ToJsonString());
                Assert.True((int?)frame["missed"] >= 50, frame.ToJsonString());
                sawRecovered = true;
                continue;
            }

            frames.Add(((int)frame["data"]!["n"]!, (string)frame["position"]!));
        }

        await publishing;
        Assert.True(sawRecovered || (await second.ReceiveAsync(awaiting: "the recovered frame"))["handler"]?.GetValue<string>() == "recovered");
        Assert.Equal(Enumerable.Range(10, 190), frames.Select(static f => f.N));
        AssertIncreasing(frames);
    }

    [Fact]
    public async Task RecoveringWatch_SinceFromAnotherEpoch_AnswersRecoveredFalse_AndCarriesOnLive()
    {
        var key = NewKey();
        await using var client = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("mq"));
        await client.SendTextAsync(MqWatch(key, since: "otherepoch7-5"));
        var recovered = await client.ReceiveAsync(awaiting: "recovered:false");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.False((bool?)recovered["recovered"], recovered.ToJsonString());

        await PublishNumbersAsync(key, 0, 3);
        var live = await ReceiveNumbersAsync(client, 3);
        Assert.Equal([0, 1, 2], live.Select(static f => f.N));
    }

    [Theory]
    [InlineData("\"garbage\"")]
    [InlineData("42")]
    [InlineData("\"1-\"")]
    [InlineData("\"-5\"")]
    [InlineData("\"a b-5\"")]
    [InlineData("{}")]
    public async Task RecoveringWatch_GarbageSince_IsInvalidParams_AndTheConnectionStaysOpen(string since)
    {
        await using var client = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq"));
        await client.SendTextAsync($$"""{"handler":"watch","params":{"exchange":"on.test","routingKey":"x.#"},"recover":true,"since":{{since}}}""");
        var error = await client.ReceiveAsync(awaiting: "the error");
        Assert.Equal("error", (string?)error["handler"]);
        Assert.Equal("invalid_params", (string?)error["params"]!["code"]);
        Assert.Contains("since", (string?)error["params"]!["message"], StringComparison.Ordinal);

        await client.SendTextAsync("""{"handler":"init"}""");
        Assert.Equal("session", (string?)(await client.ReceiveAsync(awaiting: "the session, the connection still open"))["handler"]);
    }

    [Fact]
    public async Task Since_WithoutRecover_IsInvalidParams()
    {
        await using var client = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq"));
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.test","routingKey":"x.#"},"since":"1-4"}""");
        var error = await client.ReceiveAsync(awaiting: "the error");
        Assert.Equal("invalid_params", (string?)error["params"]!["code"]);
    }

    [Fact]
    public async Task WatchWithoutRecover_FramesCarryNoPosition()
    {
        var key = NewKey();
        await using var client = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq"));
        await client.SendTextAsync($$"""{"handler":"watch","params":{"exchange":"on.test","routingKey":"{{key}}.#"}""" + "}");
        await client.SyncAsync();
        await PublishNumbersAsync(key, 0, 1);
        var frame = await client.ReceiveAsync(awaiting: "the item");
        Assert.Equal("item", (string?)frame["handler"]);
        Assert.Null(frame["position"]);
    }

    [Fact]
    public async Task RecoveringCollectionWatch_ReplaysOnlyMatchingChanges_InTheWatchShape()
    {
        var group = NewKey();
        var watch = (string? since) => $$"""{"handler":"watch","resource":"nodes","params":{"group":"{{group}}"},"recover":true""" + SinceMember(since) + "}";
        string lastPosition;
        await using (var first = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("nodes")))
        {
            await first.SendTextAsync(watch(null));
            await first.SyncAsync();
            await PublishNodeAsync("updated", "n0", group);
            var frame = await first.ReceiveAsync(awaiting: "n0's update");
            Assert.Equal("""["updated","n0"]""", frame["id"]!.ToJsonString());
            lastPosition = (string)frame["position"]!;
        }

        await PublishNodeAsync("updated", "n1", group);
        await PublishNodeAsync("updated", "other", "not-" + group);
        await PublishNodeAsync("destroyed", "n0", group);

        await using var second = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("nodes"));
        await second.SendTextAsync(watch(lastPosition));
        var update = await second.ReceiveAsync(awaiting: "n1's update, replayed");
        Assert.Equal("item", (string?)update["handler"]);
        Assert.Equal("""["updated","n1"]""", update["id"]!.ToJsonString());
        var removal = await second.ReceiveAsync(awaiting: "n0's removal, replayed");
        Assert.Equal("remove", (string?)removal["handler"]);
        Assert.Equal("n0", (string?)removal["id"]);
        Assert.NotNull(removal["position"]);
        var recovered = await second.ReceiveAsync(awaiting: "recovered");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.True((bool?)recovered["recovered"]);
        Assert.Equal(2, (int?)recovered["missed"]);
        Assert.Equal("nodes", (string?)recovered["resource"]);
        await second.AssertNothingAsync(Quiet);
    }

    [Fact]
    public async Task RecoveringSnapshotWatch_LostPosition_GetsAFreshListFirst_ThenRecoveredFalse()
    {
        var group = NewKey();
        await using var client = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("nodes"));
        await client.SendTextAsync($$"""{"handler":"watch","resource":"nodes","params":{"group":"{{group}}"},"recover":true,"snapshot":true,"since":"otherepoch-3"}""");
        var list = await client.ReceiveAsync(awaiting: "the fresh list");
        Assert.Equal("list", (string?)list["handler"]);
        var recovered = await client.ReceiveAsync(awaiting: "recovered:false");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.False((bool?)recovered["recovered"]);

        await PublishNodeAsync("created", "fresh", group);
        var live = await client.ReceiveAsync(awaiting: "a live change");
        Assert.Equal("""["created","fresh"]""", live["id"]!.ToJsonString());
    }

    [Fact]
    public async Task RecoveringNotificationsWatch_ReplaysThePushes_AndThePlainPushIsNotDoubled()
    {
        var tag = NewKey();
        await using var plain = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("notifications"));
        await plain.SyncAsync();
        string lastPosition;
        await using (var first = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("notifications")))
        {
            await first.SendTextAsync("""{"handler":"watch","recover":true}""");
            await first.SyncAsync();
            await PublishNotificationAsync($"{tag}-1");
            var pushed = await first.ReceiveAsync(awaiting: "the push with its position");
            Assert.Equal($"{tag}-1", (string?)pushed["id"]);
            lastPosition = (string)pushed["position"]!;
            await first.AssertNothingAsync(Quiet);

            var plainPush = await plain.ReceiveMatchingAsync(f => (string?)f["id"] == $"{tag}-1", "the plain push");
            Assert.Null(plainPush["position"]);
        }

        await PublishNotificationAsync($"{tag}-2");
        await PublishNotificationAsync($"{tag}-3");

        await using var second = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("notifications"));
        await second.SendTextAsync($$"""{"handler":"watch","recover":true,"since":"{{lastPosition}}"}""");
        Assert.Equal($"{tag}-2", (string?)(await second.ReceiveAsync(awaiting: "the second push, replayed"))["id"]);
        Assert.Equal($"{tag}-3", (string?)(await second.ReceiveAsync(awaiting: "the third push, replayed"))["id"]);
        var recovered = await second.ReceiveAsync(awaiting: "recovered");
        Assert.Equal("recovered", (string?)recovered["handler"]);
        Assert.Equal(2, (int?)recovered["missed"]);
        await second.AssertNothingAsync(Quiet);
    }

    protected static string NewKey() => "r" + Guid.NewGuid().ToString("N")[..12];

    protected static string MqWatch(string key, string? since) =>
        $$"""{"handler":"watch","params":{"exchange":"on.test","routingKey":"{{key}}.#"},"recover":true""" + SinceMember(since) + "}";

    private static string SinceMember(string? since) => since is null ? "" : $",\"since\":\"{since}\"";

    protected async Task PublishNumbersAsync(string key, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            await Fixture.PublishAsync("on.test", $"{key}.{n}", string.Create(CultureInfo.InvariantCulture, $$"""{"n":{{n}}}"""));
        }
    }

    private Task PublishNodeAsync(string @event, string id, string group) =>
        Fixture.PublishAsync("on.waterline", $"nodes.{@event}.{id}", JsonSerializer.Serialize(new { @event, record = new { id, group } }));

    private Task PublishNotificationAsync(string id) =>
        Fixture.PublishAsync("notifications", "webhook_tx", new JsonObject
        {
            ["type"] = "webhook_tx",
            ["id"] = id,
            ["status"] = "pending",
            ["message"] = $"transaction {id}",
            ["ts_display"] = 1_700_000_000,
        }.ToJsonString());

    protected static async Task<List<(int N, string Position)>> ReceiveNumbersAsync(ChannelClient client, int count)
    {
        var frames = new List<(int N, string Position)>();
        while (frames.Count < count)
        {
            var frame = await client.ReceiveAsync(awaiting: $"item {frames.Count + 1} of {count}");
            Assert.True((string?)frame["handler"] == "item", frame.ToJsonString());
            frames.Add(((int)frame["data"]!["n"]!, (string)frame["position"]!));
        }

        return frames;
    }

    protected static void AssertIncreasing(IReadOnlyList<(int N, string Position)> frames)
    {
        var offsets = frames.Select(static f => long.Parse(f.Position[(f.Position.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture)).ToList();
        for (var i = 1; i < offsets.Count; i++)
        {
            Assert.True(offsets[i] > offsets[i - 1], $"positions increase: {frames[i - 1].Position} then {frames[i].Position}");
        }

        Assert.Single(frames.Select(static f => f.Position[..f.Position.LastIndexOf('-')]).Distinct());
    }
}

public sealed class EmbeddedChannelRecoveryTests(EmbeddedRecoveryFixture fixture) : ChannelRecoveryTests<EmbeddedRecoveryFixture>(fixture);

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqChannelRecoveryTests(TwoInstanceRabbitMqFixture fixture) : ChannelRecoveryTests<TwoInstanceRabbitMqFixture>(fixture)
{
    /// <summary>
    /// The instance the client comes back to lags: its own stream reader is held at the first message of the test
    /// (a subscriber of its recovery log that blocks), behind both the position the client got from the other
    /// instance and the 100 messages published after it. The replay still covers everything stored before the watch
    /// arrived, and <c>recovered</c> counts all 100 before any live frame, while that reader is still held.
    /// </summary>
    [Fact]
    public async Task RecoveringWatch_OnAnInstanceWhoseReaderLags_ReplaysUpToTheStreamsEnd_BeforeRecovered()
    {
        var key = NewKey();
        using var held = new ManualResetEventSlim(false);
        using var reached = new ManualResetEventSlim(false);
        var log = Fixture.Second.Services.GetRequiredService<IRecoveryLog>();
        var blocker = await log.SubscribeAsync("on.test", $"{key}.#", (long _, in BrokerDelivery _) =>
        {
            if (!reached.IsSet)
            {
                reached.Set();
                held.Wait(TimeSpan.FromSeconds(60));
            }
        }, CancellationToken.None);
        try
        {
            string lastPosition;
            await using (var first = await ChannelClient.ConnectAsync(Fixture.WebSocketUri("mq")))
            {
                await first.SendTextAsync(MqWatch(key, since: null));
                await first.SyncAsync();
                await PublishNumbersAsync(key, 0, 10);
                lastPosition = (await ReceiveNumbersAsync(first, 10))[^1].Position;
            }

            await PublishNumbersAsync(key, 10, 100);
            Assert.True(reached.Wait(TimeSpan.FromSeconds(30)), "the second instance's stream reader never reached the test's first message");

            await using var second = await ChannelClient.ConnectAsync(Fixture.ReconnectUri("mq"));
            await second.SendTextAsync(MqWatch(key, since: lastPosition));
            var missed = await ReceiveNumbersAsync(second, 100);
            Assert.Equal(Enumerable.Range(10, 100), missed.Select(static f => f.N));
            AssertIncreasing([(9, lastPosition), .. missed]);
            var recovered = await second.ReceiveAsync(awaiting: "the recovered frame");
            Assert.Equal("recovered", (string?)recovered["handler"]);
            Assert.True((bool?)recovered["recovered"], recovered.ToJsonString());
            Assert.Equal(100, (int?)recovered["missed"]);
            Assert.False(held.IsSet);

            // Let the reader go: what it now reads was replayed already and is not sent again; new messages come live.
            held.Set();
            await PublishNumbersAsync(key, 110, 5);
            var live = await ReceiveNumbersAsync(second, 5);
            Assert.Equal(Enumerable.Range(110, 5), live.Select(static f => f.N));
            AssertIncreasing([missed[^1], .. live]);
            await second.AssertNothingAsync(Quiet);
        }
        finally
        {
            held.Set();
            await blocker.DisposeAsync();
        }
    }
}
