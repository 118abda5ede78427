using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Notifications;
using Bridge.Observability;
using OpenTelemetry.Trace;
using RabbitMQ.Client;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Observability;

/// <summary>A producer's trace continues through the bridge: its span is the parent, a webhook receiver joins the same trace.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class TracePropagationTests
{
    [Fact]
    public async Task AnAmqpMessageWithTraceparent_IsProcessedInASpanItParents_AndItsWebhookPostCarriesTheSameTrace()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var spans = new List<Activity>();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings(uri, exchange), configureServices: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        using var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
        await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url);

        await using var producer = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await producer.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true);

        // The webhook binding is made in the background: publish traced messages until one reaches the receiver.
        // Each is published inside a producer span of the test's; in this process RabbitMQ.Client is traced as
        // well, so the header it carries may be its publish span's (a child of ours): same trace either way.
        var producers = new Dictionary<string, Activity>(StringComparer.Ordinal);
        var published = 0;
        var delivery = (await WaitUntil.ValueAsync(
            async () =>
            {
                var id = $"tx-trace-{published++}";
                using (var producerSpan = new Activity("test producer").SetIdFormat(ActivityIdFormat.W3C).Start())
                {
                    // A sampled producer: the bridge's parent-based sampling records what its producer records.
                    producerSpan.ActivityTraceFlags = ActivityTraceFlags.Recorded;
                    producers[id] = producerSpan;
                    var properties = new BasicProperties
                    {
                        Persistent = true,
                        Headers = new Dictionary<string, object?> { ["traceparent"] = Encoding.UTF8.GetBytes(producerSpan.Id!) },
                    };
                    await channel.BasicPublishAsync(exchange, "webhook_tx", mandatory: false, properties, Encoding.UTF8.GetBytes(Message(id, "pending")));
                }

                await Task.Delay(200);
                return receiver.Requests.FirstOrDefault();
            },
            static delivery => delivery is not null, static _ => "no traced message reached the webhook receiver",
            NotificationTestSupport.Timeout, TimeSpan.Zero))!;

        var deliveredId = (string)JsonNode.Parse(delivery.Body)!["data"]!["id"]!;
        var expected = producers[deliveredId];
        Assert.Matches($"^00-{expected.TraceId}-[0-9a-f]{{16}}-0[01]$", delivery.TraceParent);

        // The bridge's own span of that message has the producer's span (ours, or RabbitMQ.Client's publish span in it) as its parent.
        await WaitUntil.TrueAsync(() => HasChild(spans, expected),
            () => $"no span of source {BridgeTracing.SourceName} has the producer's span {expected.SpanId} (or its publish span) as parent; spans of the trace: "
                + string.Join("; ", Snapshot(spans).Where(s => s.TraceId == expected.TraceId).Select(s => $"{s.Source.Name} {s.DisplayName} {s.SpanId} <- {s.ParentSpanId}")),
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task PostApiPublish_WritesTheCallersTraceIntoTheAmqpHeaders()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        var exchange = "traced-" + Guid.NewGuid().ToString("N")[..8];
        await using var host = await BridgeHost.StartAsync(Settings(uri, exchange));
        await Readiness.WaitUntilReadyAsync(host, TimeSpan.FromSeconds(30));
        await using var consumerConnection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var consumer = await consumerConnection.CreateChannelAsync();
        await consumer.ExchangeDeclareAsync("on.test", ExchangeType.Topic, durable: true);
        var queue = (await consumer.QueueDeclareAsync()).QueueName;
        await consumer.QueueBindAsync(queue, "on.test", "traced.#");

        // This process's HttpClient is traced by the bridge's provider too: keep it from replacing the caller's traceparent.
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = host.BaseUri, Timeout = NotificationTestSupport.Timeout };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
        var caller = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
        {
            Content = new StringContent("""{"exchange":"on.test","routingKey":"traced.1","payload":{"n":1}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{caller}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var message = await consumer.BasicGetAsync(queue, autoAck: true);
        for (var until = DateTime.UtcNow + NotificationTestSupport.Timeout; message is null && DateTime.UtcNow < until; message = await consumer.BasicGetAsync(queue, autoAck: true))
        {
            await Task.Delay(50);
        }

        Assert.NotNull(message);
        var header = message.BasicProperties.Headers?["traceparent"] as byte[];
        Assert.NotNull(header);
        Assert.StartsWith($"00-{caller}-", Encoding.UTF8.GetString(header), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(string uri, string exchange) => new()
    {
        ["Bridge:RabbitMq:Uri"] = uri,
        ["Bridge:Tracing:Enabled"] = "true",
        ["Bridge:Notifications:Exchange"] = exchange,
        ["Bridge:Notifications:HistoryQueue"] = "bridge.test.history." + exchange,
        ["Bridge:Accounts:0:Name"] = "ops",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
        ["Bridge:Accounts:0:IsAdmin"] = "true",
        ["Bridge:Webhooks:RetryDelay"] = "00:00:00.050",
        ["Bridge:Webhooks:AllowHttp"] = "true",
        ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
    };

    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    private static bool HasChild(List<Activity> spans, Activity producer)
    {
        lock (spans)
        {
            var parents = spans.Where(s => s.Source.Name == RabbitMQActivitySource.PublisherSourceName && s.TraceId == producer.TraceId)
                .Select(s => s.SpanId).Append(producer.SpanId).ToHashSet();
            return spans.Any(s => s.Source.Name == BridgeTracing.SourceName && s.TraceId == producer.TraceId && parents.Contains(s.ParentSpanId));
        }
    }
}
