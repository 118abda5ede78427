using System.Net;
using System.Text;
using Bridge.Broker;
using Bridge.Connections;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// <c>/metrics</c> as an operator reads it: each series of the issue exists and moves by what the test did.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private BridgeHost? _host;

    private BridgeHost Host => _host!;

    public async Task InitializeAsync()
    {
        var settings = LedgerBridgeFixture.LedgerSettings();
        settings["Bridge:Channels:AllowAnonymous"] = "true";
        settings["Bridge:Connections:SendQueueCapacity"] = "8";
        settings["Bridge:Webhooks:AllowHttp"] = "true";
        settings["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1";
        settings["Bridge:Webhooks:MaxAttempts"] = "1";
        _host = await BridgeHost.StartAsync(settings);
        await LedgerBridgeFixture.WaitUntilSubscribedAsync(_host);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task ChannelActivity_MovesConnectionsWatchesMessagesDeliveriesLatencyAndErrors()
    {
        var before = await MetricsScrape.ReadAsync(Host);
        await using var client = await ChannelClient.ConnectAsync(Host.WebSocketUri("/mq"));
        await client.SendTextAsync("""{"handler":"watch","params":{"exchange":"on.test","routingKey":"metrics.#"}}""");
        await client.SyncAsync();

        var watching = await WaitForAsync(s => s.Value("bridge_connections", "front=channels") == before.Value("bridge_connections", "front=channels") + 1
            && s.Value("bridge_watches", "front=channels", "resource=mq") == before.Value("bridge_watches", "front=channels", "resource=mq") + 1);
        Assert.Equal(before.Value("bridge_connections", "front=channels") + 1, watching.Value("bridge_connections", "front=channels"));

        await Host.Services.GetRequiredService<IBroker>().PublishAsync("on.test", "metrics.secret-key-4711", Encoding.UTF8.GetBytes("""{"n":1}"""), CancellationToken.None);
        await client.ReceiveMatchingAsync(f => (string?)f["handler"] == "item", "the published item");
        await client.SendTextAsync("{not json");
        await client.ReceiveMatchingAsync(f => (string?)f["handler"] == "error", "the invalid_json error");

        var after = await WaitForAsync(s => s.Value("bridge_client_errors_total", "front=channels", "code=invalid_json")
            == watching.Value("bridge_client_errors_total", "front=channels", "code=invalid_json") + 1);
        Assert.Equal(watching.Value("bridge_broker_messages_total", "exchange=on.test") + 1, after.Value("bridge_broker_messages_total", "exchange=on.test"));

        // The item and the error frame: two frames queued to the one socket since the watch was in place.
        Assert.Equal(watching.Value("bridge_deliveries_total", "front=channels") + 2, after.Value("bridge_deliveries_total", "front=channels"));
        Assert.Equal(watching.Value("bridge_delivery_latency_seconds_count", "front=channels") + 1,
            after.Value("bridge_delivery_latency_seconds_count", "front=channels"));
        Assert.True(after.Value("bridge_delivery_latency_seconds_sum", "front=channels") > 0);
        Assert.Equal(0, after.Value("bridge_send_queue_frames"));

        // Labels are bounded: the routing key (and so any id in it) never becomes a label.
        Assert.DoesNotContain("secret-key-4711", after.Text, StringComparison.Ordinal);
        var allowed = new HashSet<string>(StringComparer.Ordinal) { "front", "resource", "exchange", "code", "outcome", "store", "operation", "state", "le" };
        Assert.All(after.Samples.Where(s => s.Name.StartsWith("bridge_", StringComparison.Ordinal)),
            s => Assert.All(s.Labels.Keys.Where(k => !k.StartsWith("otel_", StringComparison.Ordinal)), k => Assert.Contains(k, allowed)));

        await client.DisposeAsync();
        var closed = await WaitForAsync(s => s.Value("bridge_connections", "front=channels") == before.Value("bridge_connections", "front=channels"));
        Assert.Equal(before.Value("bridge_watches", "front=channels", "resource=mq"), closed.Value("bridge_watches", "front=channels", "resource=mq"));
    }

    [Fact]
    public async Task QueriesAreTimedPerStoreOperation()
    {
        var before = await MetricsScrape.ReadAsync(Host);
        await using var client = await ChannelClient.ConnectAsync(Host.WebSocketUri("/nodes"));
        await client.SendTextAsync("""{"handler":"query","params":{"type":"compute"}}""");
        await client.ReceiveMatchingAsync(f => (string?)f["handler"] == "list", "the list");

        var after = await WaitForAsync(s => s.Value("bridge_store_operation_duration_seconds_count", "store=embedded", "operation=find", "outcome=ok")
            > before.Value("bridge_store_operation_duration_seconds_count", "store=embedded", "operation=find", "outcome=ok"));
        Assert.Equal(before.Value("bridge_store_operation_duration_seconds_count", "store=embedded", "operation=find", "outcome=ok") + 1,
            after.Value("bridge_store_operation_duration_seconds_count", "store=embedded", "operation=find", "outcome=ok"));
    }

    [Fact]
    public async Task AClientThatStopsReading_IsCountedAsASlowConsumerDisconnect()
    {
        var before = await MetricsScrape.ReadAsync(Host);
        var registry = Host.Services.GetRequiredService<ConnectionRegistry>();
        await using var slow = await ChannelClient.ConnectAsync(Host.WebSocketUri("/stall"));
        await slow.SyncAsync();
        var opened = registry.Count;

        // It never reads: big frames fill the socket buffers, then its queue of 8.
        var frame = Encoding.UTF8.GetBytes($$"""{"handler":"item","resource":"stall","id":"x","data":"{{new string('x', 256 * 1024)}}"}""");
        await WaitUntil.TrueAsync(
            () =>
            {
                if (registry.Count != opened)
                {
                    return true;
                }

                registry.BroadcastToPath("stall", frame);
                return false;
            },
            () => "the stalled client was never cut off", Timeout, TimeSpan.FromMilliseconds(5));

        var after = await WaitForAsync(s => s.Value("bridge_slow_consumer_disconnects_total", "front=channels")
            == before.Value("bridge_slow_consumer_disconnects_total", "front=channels") + 1);
        Assert.Equal(before.Value("bridge_slow_consumer_disconnects_total", "front=channels") + 1, after.Value("bridge_slow_consumer_disconnects_total", "front=channels"));
    }

    [Fact]
    public async Task LedgerActivity_MovesLedgerConnectionsSubscriptionsAndEvents()
    {
        var before = await MetricsScrape.ReadAsync(Host);
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:alice-password")));
        using var response = await http.SendAsync(request);
        var token = (string)System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
        await using var socket = await LedgerSocket.ConnectAuthenticatedAsync(Host.WebSocketUri($"/websocket?token={Uri.EscapeDataString(token)}"));
        await socket.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{LedgerBridgeFixture.LedgerBase}}}/accounts/alice"]}}""");

        await Host.Services.GetRequiredService<IBroker>().PublishAsync("ledger", "transfer.update", Encoding.UTF8.GetBytes(LedgerBridgeFixture.Transfer("alice", "bob")), CancellationToken.None);
        await socket.ReceiveAsync("the notify");
        await Host.Services.GetRequiredService<IBroker>().PublishAsync("ledger", "transfer.update", Encoding.UTF8.GetBytes("""{"resource":[]}"""), CancellationToken.None);

        var after = await WaitForAsync(s => s.Value("bridge_ledger_events_total", "outcome=invalid") == before.Value("bridge_ledger_events_total", "outcome=invalid") + 1);
        Assert.Equal(before.Value("bridge_connections", "front=ledger") + 1, after.Value("bridge_connections", "front=ledger"));
        Assert.Equal(before.Value("bridge_watches", "front=ledger", "resource=accounts") + 1, after.Value("bridge_watches", "front=ledger", "resource=accounts"));
        Assert.Equal(before.Value("bridge_ledger_events_total", "outcome=routed") + 1, after.Value("bridge_ledger_events_total", "outcome=routed"));
        Assert.Equal(before.Value("bridge_delivery_latency_seconds_count", "front=ledger") + 1, after.Value("bridge_delivery_latency_seconds_count", "front=ledger"));

        // connect, the subscribe answer and the notify.
        Assert.Equal(before.Value("bridge_deliveries_total", "front=ledger") + 3, after.Value("bridge_deliveries_total", "front=ledger"));
    }

    [Fact]
    public async Task AWebhookTargetThatRefuses_IsCountedAsAFailedAttempt()
    {
        await using var receiver = await Bridge.IntegrationTests.Notifications.WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(400);
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin-password")));
        await Bridge.IntegrationTests.Notifications.WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url);
        var before = await MetricsScrape.ReadAsync(Host);

        await Host.Services.GetRequiredService<IBroker>().PublishAsync("notifications", "webhook_tx",
            Encoding.UTF8.GetBytes(Bridge.IntegrationTests.Notifications.NotificationTestSupport.Message("tx-metrics", "error")), CancellationToken.None);

        var after = await WaitForAsync(s => s.Value("bridge_webhook_attempts_total", "outcome=failed") == before.Value("bridge_webhook_attempts_total", "outcome=failed") + 1);
        Assert.Equal(before.Value("bridge_webhook_attempts_total", "outcome=delivered"), after.Value("bridge_webhook_attempts_total", "outcome=delivered"));
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task TheFrameworksOwnInstrumentationIsExportedToo()
    {
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = Timeout };
        (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).Dispose();
        var scrape = await WaitForAsync(s => s.Has("http_server_request_duration_seconds_count"));

        Assert.True(scrape.Has("http_server_request_duration_seconds_count"), "ASP.NET Core's request duration");
        Assert.True(scrape.Samples.Any(s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal)), "Kestrel's connection metrics");
        Assert.True(scrape.Samples.Any(s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal) || s.Name.StartsWith("process_runtime_", StringComparison.Ordinal)), "the runtime's");
    }

    [Fact]
    public async Task TheOperationsEndpoint_ShowsConnectionsAndDependencies()
    {
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = Timeout };
        await using var client = await ChannelClient.ConnectAsync(Host.WebSocketUri("/nodes"));
        await client.SyncAsync();

        using var response = await http.GetAsync(new Uri("/api/operations", UriKind.Relative));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((long)body["connections"]!["channels"]! >= 1);
        Assert.True((bool)body["broker"]!["ready"]!);
        Assert.True((bool)body["store"]!["ready"]!);
        Assert.True((long)body["deliveriesTotal"]! >= 1);
    }

    private Task<MetricsScrape> WaitForAsync(Func<MetricsScrape, bool> done) =>
        WaitUntil.ValueAsync(() => MetricsScrape.ReadAsync(Host), done,
            static scrape => "the metrics never reached the expected values; last scrape:\n" + scrape.Text,
            Timeout, TimeSpan.FromMilliseconds(100));
}
