using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>Webhook subscriptions on the embedded defaults: the API, signed delivery, retries, isolation.</summary>
[Collection("Notifications")]
public sealed class WebhookSubscriptionTests
{
    private static Dictionary<string, string?> Settings(string timeout = "00:00:10") => new()
    {
        ["Bridge:Accounts:0:Name"] = "ops",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
        ["Bridge:Accounts:1:Name"] = "eve",
        ["Bridge:Accounts:1:PasswordHash"] = TestPasswords.Hash("eve-secret"),
        ["Bridge:Webhooks:RetryDelay"] = "00:00:00.050",
        ["Bridge:Webhooks:MaxRetryDelay"] = "00:00:00.200",
        ["Bridge:Webhooks:Timeout"] = timeout,
        ["Bridge:Webhooks:AllowHttp"] = "true",
        ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
    };

    private static HttpClient As(BridgeHost host, string user)
    {
        var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{user}-secret")));
        return http;
    }

    private static Task PublishAsync(BridgeHost host, string json) =>
        host.Services.GetRequiredService<IBroker>().PublishAsync("notifications", "webhook_tx", Encoding.UTF8.GetBytes(json), CancellationToken.None).AsTask();

    internal static async Task<JsonObject> SubscribeAsync(HttpClient http, Uri sendTo, object? topicParams = null)
    {
        using var response = await PostJsonAsync(http, "/api/subscriptions", new
        {
            type = "webhook",
            topic = new { resource = "notifications", @params = topicParams ?? new { } },
            sendTo = sendTo.AbsoluteUri,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"subscribe: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    [Fact]
    public async Task Delivery_FailingTwiceThenAccepted_ArrivesOnceSuccessfully_WithAValidSignature()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (attempt, _) => Task.FromResult(attempt <= 2 ? 503 : 200);
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = As(host, "ops");
        var subscription = await SubscribeAsync(http, receiver.Url);
        var secret = (string)subscription["secret"]!;

        await PublishAsync(host, Message("tx-w", "success"));
        await receiver.WaitForAsync(r => r.Count >= 3, "three attempts");
        await Task.Delay(300);

        var requests = receiver.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.WebhookId).Distinct());
        Assert.StartsWith("msg_", requests[0].WebhookId, StringComparison.Ordinal);
        var delivered = requests[^1];
        Assert.True(delivered.VerifiesWith(secret), $"the StandardWebhooks package refused {delivered.Signature}");
        Assert.Equal((string)subscription["id"]!, delivered.Subscription);
        var notification = JsonNode.Parse(delivered.Body)!;
        Assert.Equal("tx-w", (string?)notification["data"]!["id"]);
        Assert.Equal("notifications", (string?)notification["topic"]!["exchange"]);
        Assert.NotNull((string?)notification["published"]);
    }

    [Fact]
    public async Task TargetThatKeepsFailing_IsGivenUpOn_ThenTheSubscriptionIsDisabled()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(500);
        var settings = Settings();
        settings["Bridge:Webhooks:MaxAttempts"] = "2";
        settings["Bridge:Webhooks:DisableAfterFailures"] = "2";
        await using var host = await BridgeHost.StartAsync(settings);
        using var http = As(host, "ops");
        var subscription = await SubscribeAsync(http, receiver.Url);

        // Two deliveries, two attempts each, all refused: two give-ups in a row disable the subscription.
        await PublishAsync(host, Message("tx-f1", "pending"));
        await PublishAsync(host, Message("tx-f2", "pending"));
        await receiver.WaitForAsync(r => r.Count >= 4, "two attempts for each of two deliveries");
        var listed = await WaitUntil.ValueAsync(
            async () =>
            {
                var list = JsonNode.Parse(await http.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
                return list.Single(s => (string?)s!["id"] == (string?)subscription["id"])!.AsObject();
            },
            static listed => (bool?)listed["disabled"] == true, static listed => $"the subscription was not disabled: {listed}",
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(100));

        Assert.True((bool?)listed["disabled"], $"the subscription was not disabled: {listed}");
        var attemptsWhenDisabled = receiver.Requests.Count;
        await PublishAsync(host, Message("tx-f3", "pending"));
        await Task.Delay(500);
        Assert.Equal(4, attemptsWhenDisabled);
        Assert.Equal(attemptsWhenDisabled, receiver.Requests.Count);
    }

    [Fact]
    public async Task TargetThatNeverAnswers_DoesNotDelayAnotherSubscription()
    {
        await using var dead = await WebhookReceiver.StartAsync();
        dead.Respond = async (_, ct) =>
        {
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
            return 200;
        };
        await using var healthy = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings(timeout: "00:00:30"));
        using var http = As(host, "ops");
        await SubscribeAsync(http, dead.Url);
        await SubscribeAsync(http, healthy.Url);

        for (var i = 0; i < 3; i++)
        {
            await PublishAsync(host, Message($"tx-{i}", "pending"));
        }

        await healthy.WaitForAsync(r => r.Count == 3, "all three deliveries while the other target hangs", TimeSpan.FromSeconds(5));
        Assert.Single(dead.Requests);
    }

    [Fact]
    public async Task Subscriptions_AreValidated_ListedPerCaller_AndDeletedOnlyByTheirOwner()
    {
        await using var host = await BridgeHost.StartAsync(Settings());
        using var ops = As(host, "ops");
        using var eve = As(host, "eve");
        using var anonymous = Http(host);

        using (var response = await PostJsonAsync(anonymous, "/api/subscriptions", new { type = "webhook" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        object[] invalid =
        [
            new { type = "webhook", topic = new { resource = "notifications" }, sendTo = "ftp://example.com/x" },
            new { type = "webhook", topic = new { resource = "nope" }, sendTo = "https://example.com/x" },
            new { type = "webhook", topic = new { resource = "nodes", @params = new Dictionary<string, object> { ["$where"] = "sleep(1000)" } }, sendTo = "https://example.com/x" },
            new { type = "webhook", topic = new { exchange = "secret.exchange", routingKey = "#" }, sendTo = "https://example.com/x" },
            new { type = "webhook", topic = new { resource = "notifications" }, sendTo = "https://example.com/x", rate = "ten seconds" },
            new { type = "carrier-pigeon", topic = new { resource = "notifications" }, sendTo = "https://example.com/x" },
        ];
        foreach (var body in invalid)
        {
            using var response = await PostJsonAsync(ops, "/api/subscriptions", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 for {System.Text.Json.JsonSerializer.Serialize(body)}, got {(int)response.StatusCode} {text}");
            Assert.Equal("InvalidBodyError", (string?)JsonNode.Parse(text)!["id"]);
        }

        using (var response = await PostJsonAsync(ops, "/api/subscriptions", new
        {
            type = "webhook",
            topic = new { exchange = "on.events", routingKey = "graph.#" },
            sendTo = "https://example.com/hook",
            rate = "PT10S",
            startAt = "2030-01-01T00:00:00Z",
        }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var created = await SubscribeAsync(ops, new Uri("https://example.com/other"));
        var id = (string)created["id"]!;
        Assert.StartsWith("whsec_", (string)created["secret"]!, StringComparison.Ordinal);

        var mine = JsonNode.Parse(await ops.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, s => Assert.Null(s!["secret"]));
        Assert.Equal("PT10S", (string?)mine[0]!["rate"]);
        var theirs = JsonNode.Parse(await eve.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
        Assert.Empty(theirs);

        using (var response = await eve.DeleteAsync(new Uri($"/api/subscriptions/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var response = await ops.DeleteAsync(new Uri($"/api/subscriptions/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var after = JsonNode.Parse(await ops.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
        Assert.Single(after);
    }

    [Fact]
    public async Task Discovery_ListsWebSocketAndWebhookChannels_WithTheirResourcesAndFeatures()
    {
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = Http(host);
        var discovery = await http.GetFromJsonAsync<JsonObject>(new Uri("/.well-known/bridge", UriKind.Relative));
        var channels = discovery!["subscriptions"]!["channels"]!.AsArray();
        Assert.Equal(["websocket", "webhook"], channels.Select(c => (string?)c!["type"]));
        var webhook = channels[1]!;
        Assert.EndsWith("/api/subscriptions", (string?)webhook["subscriptionUrl"], StringComparison.Ordinal);
        Assert.Contains("notifications", webhook["resources"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(["filter", "rate", "startAt", "endAt", "ping", "rotate"], webhook["features"]!.AsArray().Select(f => (string?)f));
    }

    [Fact]
    public async Task Subscription_SurvivesARestart_AndKeepsDelivering()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        string dataDirectory;
        await using (var host = await BridgeHost.StartAsync(Settings()))
        {
            dataDirectory = host.DataDirectory;
            using var http = As(host, "ops");
            await SubscribeAsync(http, receiver.Url, new { status = "success" });
        }

        await using var restarted = await BridgeHost.StartAsync(Settings(), dataDirectory);
        await restarted.Services.GetRequiredService<Bridge.Subscriptions.SubscriptionDispatcher>().ReloadAsync(CancellationToken.None).WaitAsync(NotificationTestSupport.Timeout);
        await PublishAsync(restarted, Message("tx-s", "pending"));
        await PublishAsync(restarted, Message("tx-s", "success"));
        await receiver.WaitForAsync(r => r.Count >= 1, "the filtered delivery after the restart");
        await Task.Delay(300);
        Assert.Equal(["success"], receiver.Requests.Select(r => (string?)JsonNode.Parse(r.Body)!["data"]!["status"]));
    }
}
