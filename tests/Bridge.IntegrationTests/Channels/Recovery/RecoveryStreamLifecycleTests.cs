using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker.Recovery;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>
/// A recovery stream that goes away under the bridge (issue 16): deleted and created again, its offsets start over,
/// so its epoch (read from the stream itself) is new and an old position answers <c>recovered:false</c> instead of
/// replaying other messages; and a stream reader that RabbitMQ cancels resumes on its own, named by /readyz
/// meanwhile. Each test has its own exchange and bridge, so no other bridge on the node reads its stream.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RecoveryStreamLifecycleTests
{
    [Fact]
    public async Task AStreamDeletedAndCreatedAgain_IsOfANewEpoch_AndAnOldPositionAnswersRecoveredFalse()
    {
        await using var test = await StreamTest.StartAsync(retryDelay: null);

        // Positions 0..4 of the first stream; the watch closes, so the instance stops following it.
        string oldPosition;
        await using (var first = await test.WatchAsync(since: null))
        {
            await test.PublishAsync(0, 5);
            oldPosition = (await ReceiveNumbersAsync(first, 5))[^1];
            await first.SendTextAsync(test.StopFrame);
            await WaitUntil.TrueAsync(() => !test.Log.IsFollowing(test.Exchange), "the stream's reader stopped after the last recovering watch");
        }

        // An operator deletes the stream and declares it again; its offsets start over at 0, and past the old position.
        await test.Admin.QueueDeleteAsync(test.Stream);
        await test.Admin.QueueDeclareAsync(test.Stream, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
        await test.Admin.QueueBindAsync(test.Stream, test.Exchange, "#");
        await test.PublishAsync(100, 20);

        // Same offsets, other messages: a replay after the old position would send 105.. as if they were missed.
        await using var again = await test.WatchAsync(since: oldPosition);
        var recovered = await again.ReceiveMatchingAsync(static f => (string?)f["handler"] == "recovered", "the recovered frame");
        Assert.False((bool)recovered["recovered"]!, recovered.ToJsonString());
        await test.PublishAsync(200, 1);
        var live = await again.ReceiveMatchingAsync(static f => (string?)f["handler"] == "item", "the live item after recovered:false");
        Assert.Equal(200, (int?)live["data"]!["n"]);
        Assert.NotEqual(EpochOf(oldPosition), EpochOf((string)live["position"]!));
    }

    [Fact]
    public async Task AStreamReaderCancelledByRabbitMq_IsNamedByReadyz_AndResumesOnItsOwn()
    {
        // The reader waits this long before it consumes again, so the test can see /readyz while it is down.
        await using var test = await StreamTest.StartAsync(retryDelay: TimeSpan.FromSeconds(2));
        await using var watch = await test.WatchAsync(since: null);
        await test.PublishAsync(0, 1);
        var before = (await ReceiveNumbersAsync(watch, 1))[0];

        // Deleting the stream cancels its consumers (basic.cancel): the instance's tail reader among them.
        await test.Admin.QueueDeleteAsync(test.Stream);
        using var http = new HttpClient { BaseAddress = test.Host.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var down = await WaitUntil.ValueAsync(
            () => ReadyzAsync(http),
            answer => !answer.Ready && answer.Recovery.Contains(test.Stream, StringComparison.Ordinal),
            answer => $"/readyz never named the cancelled reader of {test.Stream}; last: {answer.Body}",
            TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(50));
        Assert.Contains("cancelled", down.Recovery, StringComparison.Ordinal);

        // It resumes by itself: the stream is declared (and bound) again, a new one, of a new epoch.
        await WaitUntil.ValueAsync(
            () => ReadyzAsync(http),
            static answer => answer.Ready,
            answer => $"/readyz did not come back once the reader could resume; last: {answer.Body}",
            TimeSpan.FromSeconds(30));
        await test.PublishAsync(1, 1);
        var after = (await ReceiveNumbersAsync(watch, 1))[0];
        Assert.NotEqual(EpochOf(before), EpochOf(after));
    }

    private static async Task<(bool Ready, string Recovery, string Body)> ReadyzAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        var recovery = (string?)JsonNode.Parse(body)?["checks"]?["recovery"]?["description"] ?? "";
        return (response.IsSuccessStatusCode, recovery, body);
    }

    private static async Task<List<string>> ReceiveNumbersAsync(ChannelClient client, int count)
    {
        var positions = new List<string>();
        while (positions.Count < count)
        {
            var frame = await client.ReceiveMatchingAsync(static f => (string?)f["handler"] == "item", $"item {positions.Count + 1} of {count}");
            positions.Add((string)frame["position"]!);
        }

        return positions;
    }

    private static string EpochOf(string position) => position[..position.LastIndexOf('-')];

    /// <summary>One bridge retaining the test's own exchange, and an admin channel on the same node.</summary>
    private sealed class StreamTest : IAsyncDisposable
    {
        private IConnection? _connection;

        private StreamTest(BridgeHost host, string exchange)
        {
            Host = host;
            Exchange = exchange;
        }

        public BridgeHost Host { get; }

        public string Exchange { get; }

        public string Stream => RabbitMqRecoveryLog.StreamName(Exchange);

        public RabbitMqRecoveryLog Log => Host.Services.GetRequiredService<RabbitMqRecoveryLog>();

        public IChannel Admin { get; private set; } = null!;

        public string StopFrame => $$$"""{"handler":"stop","resource":"mq","params":{"exchange":"{{{Exchange}}}","routingKey":"t.#"}}""";

        public static async Task<StreamTest> StartAsync(TimeSpan? retryDelay)
        {
            var amqp = await RabbitMqServer.GetSharedUriAsync();
            var exchange = "lifecycle-" + Guid.NewGuid().ToString("N")[..10];
            var settings = new Dictionary<string, string?>
            {
                ["Bridge:RabbitMq:Uri"] = amqp,
                ["Bridge:Channels:AllowAnonymous"] = "true",
                ["Bridge:Channels:MqExchanges:0"] = exchange,
                ["Bridge:Recovery:Exchanges:0"] = exchange,
            };
            if (retryDelay is { } delay)
            {
                settings["Bridge:RabbitMq:ConnectRetryDelay"] = delay.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            }

            var test = new StreamTest(await BridgeHost.StartAsync(settings), exchange);
            try
            {
                await Readiness.WaitUntilReadyAsync(test.Host, TimeSpan.FromSeconds(30));
                test._connection = await new ConnectionFactory { Uri = new Uri(amqp) }.CreateConnectionAsync();
                test.Admin = await test._connection.CreateChannelAsync();
                return test;
            }
            catch
            {
                await test.DisposeAsync();
                throw;
            }
        }

        public async Task<ChannelClient> WatchAsync(string? since)
        {
            var client = await ChannelClient.ConnectAsync(Host.WebSocketUri("mq"));
            var resume = since is null ? "" : $",\"since\":\"{since}\"";
            await client.SendTextAsync($$$"""{"handler":"watch","params":{"exchange":"{{{Exchange}}}","routingKey":"t.#"},"recover":true{{{resume}}}}""");
            if (since is null)
            {
                await client.SyncAsync();
            }

            return client;
        }

        public async Task PublishAsync(int first, int count)
        {
            for (var n = first; n < first + count; n++)
            {
                await Admin.BasicPublishAsync(Exchange, $"t.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            if (_connection is not null)
            {
                // The test's own stream and exchange, not to be left on the shared node.
                await using var channel = await _connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(Stream);
                await channel.ExchangeDeleteAsync(Exchange);
                await Admin.DisposeAsync();
                await _connection.DisposeAsync();
            }
        }
    }
}
