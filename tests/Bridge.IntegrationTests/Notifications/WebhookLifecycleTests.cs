using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>A subscription's life: its status, secret rotation, a test delivery, startAt/endAt (expiry says so).</summary>
[Collection("Notifications")]
public sealed class WebhookLifecycleTests
{
    private static Dictionary<string, string?> Settings() => new()
    {
        ["Bridge:Accounts:0:Name"] = "ops",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
        ["Bridge:Webhooks:RetryDelay"] = "00:00:00.050",
        ["Bridge:Webhooks:MaxRetryDelay"] = "00:00:00.200",
        ["Bridge:Webhooks:MaxAttempts"] = "3",
        ["Bridge:Webhooks:AllowHttp"] = "true",
        ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
        ["Bridge:Webhooks:RefreshInterval"] = "00:00:00.200",
    };

    private static HttpClient AsOps(BridgeHost host)
    {
        var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
        return http;
    }

    private static Task PublishAsync(BridgeHost host, string json) =>
        host.Services.GetRequiredService<IBroker>().PublishAsync("notifications", "webhook_tx", Encoding.UTF8.GetBytes(json), CancellationToken.None).AsTask();

    private static Task<JsonNode> StatusAsync(HttpClient http, string id, Func<JsonNode, bool> done, string awaiting) =>
        WaitUntil.ValueAsync(
            async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"/api/subscriptions/{id}", UriKind.Relative)))!["status"]!,
            done, status => $"the status never showed {awaiting}: {status.ToJsonString()}",
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task Status_ShowsAttemptsLastSuccessAndLastError_AndAGivenUpEventIsDeadLetteredWithTheReason()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (attempt, _) => Task.FromResult(attempt is 2 ? 200 : 500);
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = AsOps(host);
        var id = (string)(await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url))["id"]!;

        await PublishAsync(host, Message("tx-st1", "pending"));
        var delivered = await StatusAsync(http, id, s => (long?)s["delivered"] == 1, "one delivery");
        Assert.Equal(2, (long?)delivered["attempts"]);
        Assert.NotNull((string?)delivered["lastSuccessAt"]);

        // Three attempts, all 500: given up, dead-lettered with why, and the status says so.
        await PublishAsync(host, Message("tx-st2", "pending"));
        var failed = await StatusAsync(http, id, s => (long?)s["deadLettered"] == 1, "one dead-lettered delivery");
        Assert.Equal(5, (long?)failed["attempts"]);
        Assert.Contains("HTTP 500", (string?)failed["lastError"], StringComparison.Ordinal);
        var broker = (InProcessBroker)host.Services.GetRequiredService<IBroker>();
        var letter = Assert.Single(broker.DeadLetters);
        Assert.Equal(SubscriptionDispatcher.QueueName(id), letter.Queue);
        Assert.Contains("given up after 3 attempt(s)", letter.Reason, StringComparison.Ordinal);
        Assert.Contains("tx-st2", Encoding.UTF8.GetString(letter.Delivery.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_GivesANewSecret_AndDuringTheOverlapDeliveriesVerifyWithEither()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = AsOps(host);
        var created = await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url);
        var (id, old) = ((string)created["id"]!, (string)created["secret"]!);

        using var rotated = await http.PostAsync(new Uri($"/api/subscriptions/{id}/rotate", UriKind.Relative), null);
        var body = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var fresh = (string)body["secret"]!;
        Assert.StartsWith("whsec_", fresh, StringComparison.Ordinal);
        Assert.NotEqual(old, fresh);
        Assert.NotNull((string?)body["previousSecretUntil"]);

        await PublishAsync(host, Message("tx-rot", "pending"));
        await receiver.WaitForAsync(r => r.Count >= 1, "the delivery after the rotation");
        var delivery = receiver.Requests.Single();
        Assert.True(delivery.VerifiesWith(fresh), $"the new secret does not verify {delivery.Signature}");
        Assert.True(delivery.VerifiesWith(old), $"the previous secret does not verify {delivery.Signature}");
        Assert.False(delivery.VerifiesWith(Bridge.Webhooks.WebhookSignature.NewSecret()));

        var view = JsonNode.Parse(await http.GetStringAsync(new Uri($"/api/subscriptions/{id}", UriKind.Relative)))!;
        Assert.Null(view["secret"]);
        Assert.Null(view["previousSecret"]);
    }

    [Fact]
    public async Task Ping_SendsATestDeliveryNow_AndSaysWhetherTheTargetTookIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = AsOps(host);
        var created = await WebhookSubscriptionTests.SubscribeAsync(http, receiver.Url);
        var id = (string)created["id"]!;

        using (var ping = await http.PostAsync(new Uri($"/api/subscriptions/{id}/ping", UriKind.Relative), null))
        {
            var answer = JsonNode.Parse(await ping.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
            Assert.True((bool?)answer["delivered"]);
            var received = Assert.Single(receiver.Requests);
            Assert.Equal((string?)answer["webhookId"], received.WebhookId);
            Assert.Equal("Ping", (string?)JsonNode.Parse(received.Body)!["type"]);
            Assert.True(received.VerifiesWith((string)created["secret"]!));
        }

        receiver.Respond = static (_, _) => Task.FromResult(503);
        using (var ping = await http.PostAsync(new Uri($"/api/subscriptions/{id}/ping", UriKind.Relative), null))
        {
            var answer = JsonNode.Parse(await ping.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.BadGateway, ping.StatusCode);
            Assert.False((bool?)answer["delivered"]);
            Assert.Contains("HTTP 503", (string?)answer["error"], StringComparison.Ordinal);
            Assert.Equal(2, receiver.Requests.Count);
        }

        using var missing = await http.PostAsync(new Uri("/api/subscriptions/nope/ping", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task StartAtAndEndAt_BoundDeliveries_AndAnExpiredSubscriptionIsRemovedAndSaysSo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings());
        using var http = AsOps(host);

        using (var past = await PostJsonAsync(http, "/api/subscriptions", new
        {
            type = "webhook",
            topic = new { resource = "notifications" },
            sendTo = receiver.Url.AbsoluteUri,
            endAt = "2020-01-01T00:00:00Z",
        }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
            Assert.Contains("endAt", await past.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var later = await PostJsonAsync(http, "/api/subscriptions", new
        {
            type = "webhook",
            topic = new { resource = "notifications" },
            sendTo = receiver.Url.AbsoluteUri,
            startAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        // Far enough ahead that the POST (a password check, slow on a loaded machine) still lands before it.
        var endAt = DateTimeOffset.UtcNow.AddSeconds(8);
        using var soon = await PostJsonAsync(http, "/api/subscriptions", new
        {
            type = "webhook",
            topic = new { resource = "notifications" },
            sendTo = receiver.Url.AbsoluteUri,
            endAt = endAt.ToString("O"),
        });
        Assert.Equal(HttpStatusCode.Created, soon.StatusCode);
        var soonId = (string)JsonNode.Parse(await soon.Content.ReadAsStringAsync())!["id"]!;

        // Only the open subscription takes this one (the other starts in an hour).
        await PublishAsync(host, Message("tx-open", "pending"));
        await receiver.WaitForAsync(r => r.Count >= 1, "the delivery to the open subscription");
        await Task.Delay(300);
        Assert.Equal(soonId, Assert.Single(receiver.Requests).Subscription);

        while (DateTimeOffset.UtcNow < endAt.AddMilliseconds(500))
        {
            await Task.Delay(100);
        }

        var (status, text) = await WaitUntil.ValueAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri($"/api/subscriptions/{soonId}", UriKind.Relative));
                return (Status: response.StatusCode, Text: await response.Content.ReadAsStringAsync());
            },
            static answer => answer.Status == HttpStatusCode.Gone,
            static answer => $"expected 410, got {(int)answer.Status} {answer.Text}",
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(100));

        Assert.True(status == HttpStatusCode.Gone, $"expected 410, got {(int)status} {text}");
        Assert.Contains("expired", (string?)JsonNode.Parse(text)!["message"], StringComparison.Ordinal);

        var mine = JsonNode.Parse(await http.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
        Assert.DoesNotContain(mine, s => (string?)s!["id"] == soonId);
        await PublishAsync(host, Message("tx-after", "pending"));
        await Task.Delay(500);
        Assert.Single(receiver.Requests);
    }
}
