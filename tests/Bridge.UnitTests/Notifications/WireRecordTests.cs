using System.Text.Json.Nodes;
using Bridge.Notifications;
using Bridge.Subscriptions;
using Bridge.Webhooks;

namespace Bridge.UnitTests.Notifications;

/// <summary>
/// The records serialized by generated code (issue 13) keep the shapes they had when they were mapped by hand: a
/// stored subscription and its status (every key, nulls written, camelCase), a <c>webhook_tx</c> status (seed 003).
/// </summary>
public sealed class WireRecordTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static WebhookSubscription Subscription(TimeSpan? rate = null) => new(
        "s1", "eve", WebhookSubscription.WebhookType, JsonNode.Parse("""{"resource":"notifications"}""")!.AsObject(),
        new Uri("https://example.com/hook"), "whsec_one", rate, StartAt: null, EndAt: Created.AddDays(30), Created,
        PreviousSecret: "whsec_old", PreviousSecretUntil: Created.AddHours(1));

    [Fact]
    public void StoredSubscription_HasEveryKeyInItsOrder_NullsIncluded()
    {
        var document = Subscription(TimeSpan.FromSeconds(10)).ToDocument();

        Assert.Equal(
            """{"id":"s1","owner":"eve","type":"webhook","topic":{"resource":"notifications"},"sendTo":"https://example.com/hook","secret":"whsec_one","rate":"PT10S","startAt":null,"endAt":"2026-01-31T00:00:00.000Z","createdAt":"2026-01-01T00:00:00.000Z","disabled":false,"disabledReason":null,"previousSecret":"whsec_old","previousSecretUntil":"2026-01-01T01:00:00.000Z"}""",
            document.ToJsonString());
    }

    [Fact]
    public void SubscriptionView_LeavesOutTheOwnerAndTheSecrets()
    {
        var view = Subscription().ToView();

        Assert.Equal(
            """{"id":"s1","type":"webhook","topic":{"resource":"notifications"},"sendTo":"https://example.com/hook","rate":null,"startAt":null,"endAt":"2026-01-31T00:00:00.000Z","createdAt":"2026-01-01T00:00:00.000Z","disabled":false,"disabledReason":null,"previousSecretUntil":"2026-01-01T01:00:00.000Z"}""",
            view.ToJsonString());
        Assert.Equal("whsec_one", (string?)Subscription().ToView(withSecret: true)["secret"]);
    }

    [Fact]
    public void StoredSubscription_ReadBack_IsTheSameSubscription()
    {
        var original = Subscription(TimeSpan.FromMinutes(2));

        var read = SubscriptionDocuments.FromDocument(original.ToDocument());

        Assert.NotNull(read);
        Assert.Equal(original.ToDocument().ToJsonString(), read.ToDocument().ToJsonString());
        Assert.Equal(TimeSpan.FromMinutes(2), read.Rate);
        Assert.Equal(Created.AddHours(1), read.PreviousSecretUntil);
    }

    [Theory]
    [InlineData("""{"id":7,"owner":"eve","type":"webhook","topic":{},"sendTo":"https://example.com/","secret":"s"}""")]
    [InlineData("""{"id":"s1","owner":"eve","type":"webhook","sendTo":"https://example.com/","secret":"s"}""")]
    [InlineData("""{"id":"s1","owner":"eve","type":"webhook","topic":{},"sendTo":"not a url","secret":"s"}""")]
    [InlineData("""{"id":"s1","owner":"eve","type":"webhook","topic":{},"sendTo":"https://example.com/","secret":"s","rate":"ten seconds"}""")]
    [InlineData("""{"id":"s1","owner":"eve","type":"webhook","topic":{},"sendTo":"https://example.com/","secret":"s","disabled":"no"}""")]
    public void StoredDocument_ThatIsNotASubscription_IsSkipped(string json) =>
        Assert.Null(SubscriptionDocuments.FromDocument(JsonNode.Parse(json)!.AsObject()));

    [Fact]
    public void StoredDocument_WithoutOptionalFields_GetsTheirDefaults()
    {
        var read = SubscriptionDocuments.FromDocument(JsonNode.Parse(
            """{"id":"s1","owner":"eve","type":"webhook","topic":{},"sendTo":"https://example.com/","secret":"s","extra":1}""")!.AsObject());

        Assert.NotNull(read);
        Assert.False(read.Disabled);
        Assert.Null(read.Rate);
        Assert.Equal(DateTimeOffset.UnixEpoch, read.CreatedAt);
    }

    [Fact]
    public void DeliveryStatus_StoredAndReadBack_KeepsItsShape()
    {
        var status = new SubscriptionStatus("s1", Delivered: 3, DeadLettered: 1, Attempts: 5, LastSuccessAt: Created, LastError: "HTTP 500");

        Assert.Equal(
            """{"id":"s1","delivered":3,"deadLettered":1,"attempts":5,"lastSuccessAt":"2026-01-01T00:00:00.000Z","lastError":"HTTP 500","lastErrorAt":null}""",
            status.ToDocument().ToJsonString());
        Assert.Equal(status, SubscriptionStatus.FromDocument("s1", status.ToDocument()));
        Assert.Equal(new SubscriptionStatus("s2"), SubscriptionStatus.FromDocument("s2", null));
    }

    [Fact]
    public void TransactionStatus_IsTheSeedsMessage_InItsFieldOrder()
    {
        var message = new TransactionStatus(TransactionMessage.Type, null, "tx-1", "pending", "step 1 of 3", 1700000000, 1699999990, 0, 1, 3, "demo")
            .ToJsonObject();

        Assert.Equal(
            """{"type":"webhook_tx","sub_type":null,"id":"tx-1","status":"pending","message":"step 1 of 3","ts_display":1700000000,"ts_started":1699999990,"ts_completed":0,"on_step":1,"total_steps":3,"by":"demo"}""",
            message.ToJsonString());
        Assert.True(TransactionMessage.TryValidate(message, out var error), error);
    }
}
