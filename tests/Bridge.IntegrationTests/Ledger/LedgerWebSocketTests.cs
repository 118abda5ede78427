using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Ledger;

namespace Bridge.IntegrationTests.Ledger;

/// <summary>The ledger front's own rules beyond the transcript: isolation, credentials, limits, the broker input.</summary>
[Collection(LedgerCollection.Name)]
public sealed class LedgerWebSocketTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const string Base = LedgerBridgeFixture.LedgerBase;


    private static string Message(string from, string to) => new JsonObject
    {
        ["event"] = "message.send",
        ["resource"] = new JsonObject
        {
            ["ledger"] = Base,
            ["from"] = $"{Base}/accounts/{from}",
            ["to"] = $"{Base}/accounts/{to}",
            ["data"] = new JsonObject { ["foo"] = "bar" },
        },
    }.ToJsonString();

    [Fact]
    public async Task NonAdmin_WhateverItSends_NeverReceivesAnotherAccountsNotifications()
    {
        await using var alice = await fixture.ConnectAsync("alice");
        string[] attempts =
        [
            $$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/bob"]}}""",
            $$$"""{"jsonrpc":"2.0","id":2,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/alice","{{{Base}}}/accounts/BOB"]}}""",
            $$$"""{"jsonrpc":"2.0","id":3,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/bob/"]}}""",
            $$$"""{"jsonrpc":"2.0","id":4,"method":"subscribe_account","params":{"eventType":"*","accounts":["HTTP://LOCALHOST:3100/ACCOUNTS/bob"]}}""",
            $$$"""{"jsonrpc":"2.0","id":5,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/alice"],"accounts":["{{{Base}}}/accounts/bob"]}}""",
            """{"jsonrpc":"2.0","id":6,"method":"subscribe_all_accounts","params":{"eventType":"*"}}""",
            """{"jsonrpc":"2.0","id":7,"method":"subscribe_all_accounts","params":{}}""",
            """{"jsonrpc":"2.0","id":8,"method":"unsubscribe_all_accounts"}""",
            $$$"""{"jsonrpc":"2.0","id":9,"method":"unsubscribe_account","params":{"accounts":["{{{Base}}}/accounts/bob"]}}""",
            $$$"""[{"jsonrpc":"2.0","id":10,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/bob"]}}]""",
            $$$"""{"jsonrpc":"2.0","id":11,"method":"subscribe_account","params":[{"eventType":"*","accounts":["{{{Base}}}/accounts/bob"]}]}""",
            $$$"""{"jsonrpc":"2.0","id":12,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/%62ob"]}}""",
        ];
        foreach (var attempt in attempts)
        {
            var answer = JsonNode.Parse(await alice.RequestAsync(attempt))!;
            Assert.True(answer["error"] is not null, $"{attempt} was accepted: {answer.ToJsonString()}");
        }

        // The last valid subscription is alice's own (the transcript's way to end up subscribed); bob's events must not show.
        Assert.Contains("\"result\":1", await alice.RequestAsync($$$"""{"jsonrpc":"2.0","id":13,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/ALICE"]}}"""), StringComparison.Ordinal);
        await fixture.PublishAsync("transfer.update", LedgerBridgeFixture.Transfer("bob", "carl"));
        await fixture.PublishAsync("message.send", Message("alice", "bob"));
        await fixture.PublishAsync("transfer.create", LedgerBridgeFixture.Transfer("carl", "bob", "prepared"));
        await fixture.PublishAsync("transfer.update", LedgerBridgeFixture.Transfer("bob", "alice"));

        // Events are delivered in order: the first thing alice sees is her own transfer, nothing of bob's before it.
        var first = JsonNode.Parse(await alice.ReceiveAsync("alice's own transfer"))!;
        Assert.Equal($"{Base}/accounts/alice", (string?)first["params"]!["resource"]!["credits"]![0]!["account"]);
        await alice.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task ManyConnectionsPerAccount_EachGetsTheNotificationOnce_EvenWithOverlappingSubscriptions()
    {
        await using var admin = await fixture.ConnectAsync("admin");
        await using var bob1 = await fixture.ConnectAsync("bob");
        await using var bob2 = await fixture.ConnectAsync("bob");
        Assert.Contains("\"result\":2", await admin.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/bob","{{{Base}}}/accounts/carl"]}}"""), StringComparison.Ordinal);
        Assert.Contains("\"result\":1", await admin.RequestAsync("""{"jsonrpc":"2.0","id":2,"method":"subscribe_all_accounts","params":{"eventType":"transfer.*"}}"""), StringComparison.Ordinal);
        Assert.Contains("\"result\":1", await bob1.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"accounts":["{{{Base}}}/accounts/bob"]}}"""), StringComparison.Ordinal);
        Assert.Contains("\"result\":1", await bob2.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"transfer.update","accounts":["{{{Base}}}/accounts/bob"]}}"""), StringComparison.Ordinal);

        await fixture.PublishAsync("transfer.update", LedgerBridgeFixture.Transfer("bob", "carl"));
        await fixture.PublishAsync("transfer.create", LedgerBridgeFixture.Transfer("bob", "carl", "prepared"));

        Assert.Contains("transfer.update", await admin.ReceiveAsync("update on admin"), StringComparison.Ordinal);
        Assert.Contains("transfer.create", await admin.ReceiveAsync("create on admin"), StringComparison.Ordinal);
        Assert.Contains("transfer.update", await bob1.ReceiveAsync("update on bob1"), StringComparison.Ordinal);
        Assert.Contains("transfer.create", await bob1.ReceiveAsync("create on bob1"), StringComparison.Ordinal);
        Assert.Contains("transfer.update", await bob2.ReceiveAsync("update on bob2"), StringComparison.Ordinal);

        // unsubscribe_account and unsubscribe_all_accounts (the contract's extensions) undo what was subscribed.
        Assert.Contains("\"result\":2", await admin.RequestAsync($$$"""{"jsonrpc":"2.0","id":3,"method":"unsubscribe_account","params":{"accounts":["{{{Base}}}/accounts/bob","{{{Base}}}/accounts/carl"]}}"""), StringComparison.Ordinal);
        Assert.Contains("\"result\":1", await admin.RequestAsync("""{"jsonrpc":"2.0","id":4,"method":"unsubscribe_all_accounts"}"""), StringComparison.Ordinal);
        await fixture.PublishAsync("transfer.update", LedgerBridgeFixture.Transfer("bob", "carl"));
        Assert.Contains("transfer.update", await bob2.ReceiveAsync("update on bob2 after admin left"), StringComparison.Ordinal);
        await admin.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
        await bob2.AssertNothingAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Credentials_BearerHeaderAndBasic_AreAccepted()
    {
        var token = await fixture.TokenAsync("carl");
        await using var bearer = await LedgerSocket.ConnectAuthenticatedAsync(fixture.Host.WebSocketUri("/websocket"),
            options => options.SetRequestHeader("Authorization", $"Bearer {token}"));
        await using var basic = await LedgerSocket.ConnectAuthenticatedAsync(fixture.Host.WebSocketUri("/websocket"),
            options => options.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("carl:carl-password"))));

        Assert.Contains("\"result\":1", await basic.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/carl"]}}"""), StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, bearer.State);
    }

    [Fact]
    public async Task OversizedFrame_ClosesTheConnectionWith1009()
    {
        await using var alice = await fixture.ConnectAsync("alice");
        await alice.SendAsync(new string(' ', 70 * 1024) + "{}");
        var (status, frames) = await alice.WaitForCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Empty(frames);
    }

    [Fact]
    public async Task PlainHttpOnWebSocketPath_IsAnsweredByTheLedgerFront_NotTheChannelRoute()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/websocket", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("WebSocketRequired", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]);
        Assert.Contains("ledger notification socket", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_HasEveryFieldAFiveBellsClientReads_AndBrowsersGoToTheDashboard()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/", UriKind.Relative));
        var metadata = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("USD", (string?)metadata["currency_code"]);
        Assert.Equal("example.bridge.", (string?)metadata["ilp_prefix"]);
        Assert.Equal(2, (int)metadata["scale"]!);
        Assert.Equal(10, (int)metadata["precision"]!);
        Assert.Equal($"{Base}/accounts/bob", (string?)metadata["connectors"]![0]!["id"]);
        Assert.Equal("ws://localhost:3100/websocket", (string?)metadata["urls"]!["websocket"]);
        Assert.Equal($"{Base}/accounts/:name", (string?)metadata["urls"]!["account"]);
        Assert.Equal($"{Base}/transfers/:id", (string?)metadata["urls"]!["transfer"]);
        Assert.Equal($"{Base}/auth_token", (string?)metadata["urls"]!["auth_token"]);
        foreach (var url in new[] { "health", "transfer_fulfillment", "transfer_rejection", "transfer_state", "accounts", "message" })
        {
            Assert.StartsWith(Base, (string?)metadata["urls"]![url], StringComparison.Ordinal);
        }

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        using var redirect = await http.SendAsync(browser);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/ui/", redirect.Headers.Location?.ToString());
    }

    [Fact]
    public async Task MalformedEvents_AreDeadLetteredAndCounted_AndTheConsumerGoesOn()
    {
        var counters = fixture.Host.Services.GetRequiredService<LedgerEventCounters>();
        var broker = (InProcessBroker)fixture.Host.Services.GetRequiredService<IBroker>();
        var before = counters.Malformed;
        await using var carl = await fixture.ConnectAsync("carl");
        Assert.Contains("\"result\":1", await carl.RequestAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Base}}}/accounts/carl"]}}"""), StringComparison.Ordinal);

        await fixture.PublishAsync("transfer.update", "not json");
        await fixture.PublishAsync("transfer.update", """{"resource":{"debits":[],"credits":[]}}""");
        await fixture.PublishAsync("transfer.create", $$$"""{"resource":{"debits":[{"account":"{{{Base}}}/accounts/carl","amount":"1"}],"credits":[{"account":"{{{Base}}}/accounts/bob","amount":"1"}]}}""");
        await fixture.PublishAsync("account.update", "{}");
        await fixture.PublishAsync("transfer.update", LedgerBridgeFixture.Transfer("carl", "bob").Replace("\"state\":\"executed\"", "\"state\":\"executed\",\"cancellation_condition\":null", StringComparison.Ordinal));

        var delivered = await carl.ReceiveAsync("the good event after the malformed ones");
        Assert.Contains("\"event\":\"transfer.update\"", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("null,", delivered.Replace("\"id\":null,", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("cancellation_condition", delivered, StringComparison.Ordinal);

        await WaitUntil.TrueAsync(() => counters.Malformed >= before + 4, () => $"{counters.Malformed - before} of 4 malformed events counted",
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Equal(before + 4, counters.Malformed);
        Assert.Contains(broker.DeadLetters, letter => letter.Queue.StartsWith("bridge.ledger.validation", StringComparison.Ordinal) && letter.Delivery.RoutingKey == "account.update");
    }
}
