using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Subscriptions;
using Bridge.Webhooks;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>SSRF: targets that are not public are refused when subscribing and again when connecting; redirects are not followed.</summary>
[Collection("Notifications")]
public sealed class WebhookTargetTests
{
    private static Dictionary<string, string?> Settings(bool allowLoopback) => new()
    {
        ["Bridge:Accounts:0:Name"] = "eve",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("eve-secret"),
        ["Bridge:Webhooks:RetryDelay"] = "00:00:00.050",
        ["Bridge:Webhooks:MaxRetryDelay"] = "00:00:00.200",
        ["Bridge:Webhooks:MaxAttempts"] = "2",
        ["Bridge:Webhooks:AllowHttp"] = "true",
        ["Bridge:Webhooks:AllowedHosts:0"] = allowLoopback ? "127.0.0.1" : "hooks.example.com",
    };

    private static HttpClient AsEve(BridgeHost host)
    {
        var http = Http(host);
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("eve:eve-secret")));
        return http;
    }

    private static Task PublishAsync(BridgeHost host, string json) =>
        host.Services.GetRequiredService<IBroker>().PublishAsync("notifications", "webhook_tx", Encoding.UTF8.GetBytes(json), CancellationToken.None).AsTask();

    [Fact]
    public async Task LoopbackFileGopherAndNamesResolvingToLoopback_AreRefusedWithAReason_AndNothingIsEverSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = receiver.Url.Port;
        await using var host = await BridgeHost.StartAsync(Settings(allowLoopback: false));
        using var eve = AsEve(host);

        var refused = new (string Target, string Reason)[]
        {
            ("http://127.0.0.1:1/", "loopback"),
            ($"http://127.0.0.1:{port}/hook", "loopback"),
            ($"http://localhost:{port}/hook", "resolves to"),
            ($"http://[::1]:{port}/hook", "loopback"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://10.0.0.1/", "private"),
            ("file:///etc/passwd", "https://"),
            ("gopher://x", "https://"),
        };
        foreach (var (target, reason) in refused)
        {
            using var response = await PostJsonAsync(eve, "/api/subscriptions", new
            {
                type = "webhook",
                topic = new { resource = "notifications" },
                sendTo = target,
            });
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{target}: expected 400, got {(int)response.StatusCode} {text}");
            var message = (string?)JsonNode.Parse(text)!["message"];
            Assert.True(message?.Contains(reason, StringComparison.Ordinal) == true, $"{target}: the reason '{message}' does not say {reason}");
        }

        var mine = JsonNode.Parse(await eve.GetStringAsync(new Uri("/api/subscriptions", UriKind.Relative)))!["items"]!.AsArray();
        Assert.Empty(mine);
        await PublishAsync(host, Message("tx-ssrf", "pending"));
        await Task.Delay(500);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task ATargetThatResolvesToLoopbackAtDeliveryTime_IsRefusedOnConnect_AndDeadLetteredWithTheReason()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await BridgeHost.StartAsync(Settings(allowLoopback: false));

        // As if the name had resolved to a public address when the subscription was made (DNS rebinding): the
        // subscription is stored directly, past the check at creation.
        var store = host.Services.GetRequiredService<SubscriptionStore>();
        var subscription = new WebhookSubscription("rebound0000000000000001", "eve", WebhookSubscription.WebhookType,
            JsonNode.Parse("""{"resource":"notifications"}""")!.AsObject(), new Uri($"http://localhost:{receiver.Url.Port}/hook"),
            WebhookSignature.NewSecret(), null, null, null, DateTimeOffset.UtcNow);
        await store.CreateAsync(subscription, CancellationToken.None);
        await host.Services.GetRequiredService<SubscriptionDispatcher>().ReloadAsync(CancellationToken.None);

        await PublishAsync(host, Message("tx-rebind", "pending"));
        var broker = (InProcessBroker)host.Services.GetRequiredService<IBroker>();
        await WaitUntil.TrueAsync(() => broker.DeadLetters.Count > 0, () => "the refused delivery was never dead-lettered",
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(50));

        var letter = broker.DeadLetters.Single();
        Assert.Equal(SubscriptionDispatcher.QueueName(subscription.Id), letter.Queue);
        Assert.Contains("loopback", letter.Reason, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);

        using var eve = AsEve(host);
        var view = JsonNode.Parse(await eve.GetStringAsync(new Uri($"/api/subscriptions/{subscription.Id}", UriKind.Relative)))!;
        Assert.Contains("loopback", (string?)view["status"]!["lastError"], StringComparison.Ordinal);
        Assert.Equal(1, (long?)view["status"]!["attempts"]); // one try, refused before connecting: not retried
    }

    [Fact]
    public async Task ARedirect_IsNotFollowed()
    {
        await using var elsewhere = await WebhookReceiver.StartAsync();
        await using var redirecting = await WebhookReceiver.StartAsync();
        redirecting.Respond = static (_, _) => Task.FromResult(307);
        redirecting.Location = elsewhere.Url;
        await using var host = await BridgeHost.StartAsync(Settings(allowLoopback: true));
        using var eve = AsEve(host);
        var subscription = await WebhookSubscriptionTests.SubscribeAsync(eve, redirecting.Url);

        await PublishAsync(host, Message("tx-redirect", "pending"));
        await redirecting.WaitForAsync(r => r.Count >= 1, "the delivery");
        var id = (string)subscription["id"]!;
        var status = await WaitUntil.ValueAsync(
            async () => JsonNode.Parse(await eve.GetStringAsync(new Uri($"/api/subscriptions/{id}", UriKind.Relative)))!["status"]!,
            static status => (long?)status["deadLettered"] == 1,
            static status => $"the redirected delivery was never dead-lettered: {status.ToJsonString()}",
            NotificationTestSupport.Timeout, TimeSpan.FromMilliseconds(50));

        Assert.Equal(1, (long?)status["deadLettered"]);
        Assert.Contains("HTTP 307", (string?)status["lastError"], StringComparison.Ordinal);
        Assert.Empty(elsewhere.Requests);
    }
}
