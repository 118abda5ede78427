using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Notifications;
using Bridge.Subscriptions;

namespace Bridge.UnitTests.Notifications;

public sealed class NotificationUnitTests
{
    [Fact]
    public void Cursor_RoundTrips_AndRefusesAnythingItDidNotIssue()
    {
        var cursor = new HistoryCursor("2026-01-31T12:00:00.123Z", "0190abcdef12");
        Assert.True(HistoryCursor.TryDecode(cursor.Encode(), out var decoded));
        Assert.Equal(cursor, decoded);

        foreach (var bad in new[] { "", "not base64!", Convert.ToBase64String(Encoding.UTF8.GetBytes("x|y")),
                     new HistoryCursor("2026-01-31T12:00:00Z", "ab").Encode(), new HistoryCursor("2026-01-31T12:00:00.123Z", "ZZ").Encode() })
        {
            Assert.False(HistoryCursor.TryDecode(bad, out _), bad);
        }
    }

    [Fact]
    public void HistoryFilter_BeforeACursor_SelectsStrictlyOlderPositions()
    {
        var cursor = new HistoryCursor("2026-01-31T12:00:00.123Z", "b");
        var filter = Bridge.Documents.FilterParser.ParseFilter(NotificationHistory.BuildFilter(new HistoryQuery(10, cursor)), new());
        JsonObject At(string storedAt, string id) => new() { ["storedAt"] = storedAt, ["id"] = id };
        Assert.True(filter.Matches(At("2026-01-31T12:00:00.122Z", "z")));
        Assert.True(filter.Matches(At("2026-01-31T12:00:00.123Z", "a")));
        Assert.False(filter.Matches(At("2026-01-31T12:00:00.123Z", "b")));
        Assert.False(filter.Matches(At("2026-01-31T12:00:00.123Z", "c")));
        Assert.False(filter.Matches(At("2026-01-31T12:00:00.124Z", "a")));
    }

    [Theory]
    [InlineData("""{"type":"webhook_tx","sub_type":null,"id":"t1","status":"pending","message":"m","ts_display":0,"on_step":1,"total_steps":3,"by":"u"}""", true)]
    [InlineData("""{"type":"webhook_tx","sub_type":"template","id":"t1","status":"undoing","extra":{"kept":true}}""", true)]
    [InlineData("""{"type":"other","id":"t1","status":"pending"}""", false)]
    [InlineData("""{"type":"webhook_tx","id":"","status":"pending"}""", false)]
    [InlineData("""{"type":"webhook_tx","id":7,"status":"pending"}""", false)]
    [InlineData("""{"type":"webhook_tx","id":"t1","status":"done"}""", false)]
    [InlineData("""{"type":"webhook_tx","id":"t1","status":"error","ts_started":-1}""", false)]
    [InlineData("""{"type":"webhook_tx","id":"t1","status":"error","on_step":1.5}""", false)]
    [InlineData("""{"type":"webhook_tx","id":"t1","status":"error","message":5}""", false)]
    [InlineData("""[1,2]""", false)]
    [InlineData("""not json""", false)]
    public void TransactionMessage_AcceptsOnlySeed003Messages(string body, bool valid)
    {
        Assert.Equal(valid, TransactionMessage.TryParse(Encoding.UTF8.GetBytes(body), out _, out var error));
        Assert.Equal(valid, error.Length == 0);
    }

    [Fact]
    public void HistoryQuery_ParsesAndBoundsParameters()
    {
        var values = new Dictionary<string, string> { ["limit"] = "5000", ["status"] = "success, error", ["since"] = "2026-01-01T00:00:00Z" };
        Assert.True(HistoryQuery.TryParse(values.GetValueOrDefault, 50, 500, out var query, out _));
        Assert.Equal(500, query.Limit);
        Assert.Equal(["success", "error"], query.Statuses!);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), query.Since);

        foreach (var (name, value) in new[] { ("limit", "0"), ("limit", "x"), ("status", "done"), ("since", "yesterday"), ("before", "@@") })
        {
            Assert.False(HistoryQuery.TryParse(n => n == name ? value : null, 50, 500, out _, out var error), $"{name}={value}");
            Assert.Contains(name, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SubscriptionRequest_AllowsOnlyWhatACallerMayWatch()
    {
        var resources = new ResourceTable(new ChannelOptions(),
            [new ResourceDefinition("notifications", null, "id", new WatchSource("notifications", "webhook_tx.#", WatchFormat.Raw))]);
        JsonObject Body(JsonObject topic, string sendTo = "https://example.com/hook") =>
            new() { ["type"] = "webhook", ["topic"] = topic, ["sendTo"] = sendTo };

        Assert.True(SubscriptionRequest.TryParse(Body(new() { ["resource"] = "notifications", ["params"] = new JsonObject { ["status"] = "error" } }),
            resources, out var request, out _));
        Assert.Equal(("notifications", "webhook_tx.#"), (request.Binding.Exchange, request.Binding.BindingKey));
        Assert.True(SubscriptionRequest.TryParse(Body(new() { ["resource"] = "nodes", ["params"] = new JsonObject { ["id"] = "n1" } }),
            resources, out var narrowed, out _));
        Assert.Equal("nodes.*.n1", narrowed.Binding.BindingKey);

        Assert.False(SubscriptionRequest.TryParse(Body(new() { ["exchange"] = "private", ["routingKey"] = "#" }), resources, out _, out _));
        Assert.False(SubscriptionRequest.TryParse(Body(new() { ["resource"] = "mq" }), resources, out _, out _));
        Assert.False(SubscriptionRequest.TryParse(Body(new() { ["resource"] = "notifications" }, "https://user:pw@example.com/"), resources, out _, out _));
        Assert.False(SubscriptionRequest.TryParse(Body(new() { ["resource"] = "notifications" }, "/relative"), resources, out _, out _));
    }
}
