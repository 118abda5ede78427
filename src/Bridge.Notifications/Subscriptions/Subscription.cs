using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Documents;
using Bridge.Notifications;

namespace Bridge.Subscriptions;

/// <summary>Where a subscription's events come from: one broker binding, and how to read and filter its bodies.</summary>
/// <param name="Exchange">Topic exchange.</param>
/// <param name="BindingKey">Binding key on it.</param>
/// <param name="Format">Waterline bodies are filtered on their <c>record</c>; raw bodies as they are.</param>
/// <param name="Filter">Which events (empty: all).</param>
public sealed record TopicBinding(string Exchange, string BindingKey, WatchFormat Format, Filter Filter);

/// <summary>A stored subscription (collection <c>subscriptions</c>).</summary>
public sealed record Subscription(
    string Id,
    string Owner,
    string Type,
    JsonObject Topic,
    Uri SendTo,
    string Secret,
    TimeSpan? Rate,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    DateTimeOffset CreatedAt,
    bool Disabled = false,
    string? DisabledReason = null,
    string? PreviousSecret = null,
    DateTimeOffset? PreviousSecretUntil = null)
{
    public const string WebhookType = "webhook";

    /// <summary>
    /// The largest <c>rate</c>: a delivery waiting for its turn is held unacknowledged on the broker, and the
    /// broker takes back what is held longer than its consumer timeout (see <c>Bridge:Webhooks:BrokerAckTimeout</c>).
    /// </summary>
    public static readonly TimeSpan MaxRate = TimeSpan.FromMinutes(10);

    /// <summary>The keys that sign at <paramref name="now"/>: the secret, and during a rotation's overlap the previous one too.</summary>
    public IReadOnlyList<byte[]> SigningKeys(DateTimeOffset now) =>
        PreviousSecret is { } previous && PreviousSecretUntil is { } until && now < until
            ? [Webhooks.WebhookSignature.KeyOf(Secret), Webhooks.WebhookSignature.KeyOf(previous)]
            : [Webhooks.WebhookSignature.KeyOf(Secret)];

    /// <summary>The document as stored; the secret is in it because deliveries are signed with it.</summary>
    public JsonObject ToDocument() => new()
    {
        ["id"] = Id,
        ["owner"] = Owner,
        ["type"] = Type,
        ["topic"] = Topic.DeepClone(),
        ["sendTo"] = SendTo.AbsoluteUri,
        ["secret"] = Secret,
        ["rate"] = Rate is { } rate ? System.Xml.XmlConvert.ToString(rate) : null,
        ["startAt"] = StartAt is { } start ? NotificationTime.Format(start) : null,
        ["endAt"] = EndAt is { } end ? NotificationTime.Format(end) : null,
        ["createdAt"] = NotificationTime.Format(CreatedAt),
        ["disabled"] = Disabled,
        ["disabledReason"] = DisabledReason,
        ["previousSecret"] = PreviousSecret,
        ["previousSecretUntil"] = PreviousSecretUntil is { } until ? NotificationTime.Format(until) : null,
    };

    /// <summary>What the API shows: the document without the secret (which only the creation response carries).</summary>
    public JsonObject ToView(bool withSecret = false)
    {
        var view = ToDocument();
        view.Remove("owner");
        view.Remove("previousSecret");
        if (!withSecret)
        {
            view.Remove("secret");
        }

        return view;
    }

    public static Subscription? FromDocument(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        try
        {
            return new Subscription(
                (string)document["id"]!,
                (string)document["owner"]!,
                (string)document["type"]!,
                document["topic"]!.AsObject().DeepClone().AsObject(),
                new Uri((string)document["sendTo"]!, UriKind.Absolute),
                (string)document["secret"]!,
                document["rate"] is JsonValue rate ? System.Xml.XmlConvert.ToTimeSpan((string)rate!) : null,
                NotificationTime.TryParse((string?)document["startAt"], out var start) ? start : null,
                NotificationTime.TryParse((string?)document["endAt"], out var end) ? end : null,
                NotificationTime.TryParse((string?)document["createdAt"], out var created) ? created : DateTimeOffset.UnixEpoch,
                (bool?)document["disabled"] ?? false,
                (string?)document["disabledReason"],
                (string?)document["previousSecret"],
                NotificationTime.TryParse((string?)document["previousSecretUntil"], out var until) ? until : null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NullReferenceException or FormatException or UriFormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Whether an event at <paramref name="now"/> falls in the subscription's window.</summary>
    public bool IsOpenAt(DateTimeOffset now) => (StartAt is null || now >= StartAt) && (EndAt is null || now < EndAt);
}
