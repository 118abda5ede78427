using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Documents;
using Bridge.Kernel;
using Bridge.Notifications;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// A checked <c>POST /api/subscriptions</c> body:
/// <c>{"type":"webhook","topic":{"resource":R,"params":F}|{"exchange":E,"routingKey":K},"sendTo":"https://...",
/// "rate":"PT10S"?,"startAt":iso?,"endAt":iso?}</c>. A caller may only subscribe to what it may watch: a
/// resource of the channel front that can be watched, or an exchange on the mq allow-list.
/// </summary>
internal sealed record SubscriptionRequest(string Type, JsonObject Topic, TopicBinding Binding, Uri SendTo, TimeSpan? Rate, DateTimeOffset? StartAt, DateTimeOffset? EndAt)
{
    public const int MaxUrlLength = 2048;

    public static bool TryParse(JsonNode? body, ResourceTable resources, [NotNullWhen(true)] out SubscriptionRequest? request, out string error)
    {
        ArgumentNullException.ThrowIfNull(resources);
        request = null;
        if (body is not JsonObject obj)
        {
            error = "the body must be a JSON object {\"type\":\"webhook\",\"topic\":{...},\"sendTo\":\"https://...\"}";
            return false;
        }

        if (Text(obj, "type") != WebhookSubscription.WebhookType)
        {
            error = "'type' must be \"webhook\" (WebSocket clients subscribe by connecting to ws://host/{resource})";
            return false;
        }

        // Whether http:// is allowed, and which addresses, is WebhookTargetPolicy's to judge (it says why it refuses).
        if (Text(obj, "sendTo") is not { Length: > 0 and <= MaxUrlLength } sendToText
            || !Uri.TryCreate(sendToText, UriKind.Absolute, out var sendTo)
            || !string.IsNullOrEmpty(sendTo.UserInfo))
        {
            error = "'sendTo' must be an absolute https:// URL without credentials";
            return false;
        }

        if (sendTo.Scheme is not ("https" or "http") || sendToText.StartsWith('/'))
        {
            error = $"'sendTo' must be an https:// URL, not {(sendToText.StartsWith('/') ? "a path" : sendTo.Scheme + ":")}";
            return false;
        }

        if (obj["topic"] is not JsonObject topic)
        {
            error = "'topic' must be {\"resource\":..,\"params\":{..}} or {\"exchange\":..,\"routingKey\":..}";
            return false;
        }

        if (!TryResolve(topic, resources, out var binding, out error))
        {
            return false;
        }

        TimeSpan? rate = null;
        if (obj["rate"] is not null)
        {
            try
            {
                rate = Text(obj, "rate") is { } rateText ? XmlConvert.ToTimeSpan(rateText) : throw new FormatException();
            }
            catch (FormatException)
            {
                error = "'rate' must be an ISO-8601 duration such as PT10S";
                return false;
            }

            if (rate <= TimeSpan.Zero || rate > WebhookSubscription.MaxRate)
            {
                error = "'rate' must be positive and at most ten minutes (PT10M): a delivery waiting for its turn is held on the broker";
                return false;
            }
        }

        if (!TryTime(obj, "startAt", out var startAt, out error) || !TryTime(obj, "endAt", out var endAt, out error))
        {
            return false;
        }

        if (startAt is not null && endAt is not null && endAt <= startAt)
        {
            error = "'endAt' must be after 'startAt'";
            return false;
        }

        request = new SubscriptionRequest(WebhookSubscription.WebhookType, (JsonObject)topic.DeepClone(), binding, sendTo, rate, startAt, endAt);
        return true;
    }

    /// <summary>The broker binding and filter of a topic (also used when loading stored subscriptions).</summary>
    public static bool TryResolve(JsonObject topic, ResourceTable resources, [NotNullWhen(true)] out TopicBinding? binding, out string error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(resources);
        binding = null;
        var limits = new FilterLimits();
        if (topic.ContainsKey("resource"))
        {
            if (Text(topic, "resource") is not { } name || !resources.TryGet(name, out var resource) || resource.IsMq)
            {
                error = $"'topic.resource' must name a resource of the channel front (not mq: use exchange/routingKey), e.g. {NotificationPush.Channel}";
                return false;
            }

            if (resource.Watch is not { } source)
            {
                error = $"resource '{name}' cannot be watched, so it cannot be subscribed to";
                return false;
            }

            if (topic["params"] is not (null or JsonObject))
            {
                error = "'topic.params' must be a filter object";
                return false;
            }

            Filter filter;
            try
            {
                filter = FilterParser.ParseFilter(topic["params"], limits);
            }
            catch (InvalidFilterException ex)
            {
                error = $"'topic.params' is not a valid filter: {ex.Message}";
                return false;
            }

            var narrowed = ResourceTable.Narrow(source, resource, topic["params"] as JsonObject);
            binding = new TopicBinding(narrowed.Exchange, narrowed.RoutingKey, narrowed.Format, filter);
            error = "";
            return true;
        }

        if (Text(topic, "exchange") is not { } exchange || Text(topic, "routingKey") is not { } routingKey)
        {
            error = "'topic' must be {\"resource\":..,\"params\":{..}} or {\"exchange\":..,\"routingKey\":..}";
            return false;
        }

        if (!resources.MqExchanges.Contains(exchange))
        {
            error = $"exchange '{exchange}' may not be watched, so it cannot be subscribed to; allowed: {string.Join(", ", resources.MqExchanges.Order(StringComparer.Ordinal))}";
            return false;
        }

        if (!TopicPattern.IsValidKey(routingKey, out var keyError))
        {
            error = $"'topic.routingKey' is not a valid binding key: {keyError}";
            return false;
        }

        binding = new TopicBinding(exchange, routingKey, WatchFormat.Raw, Filter.Empty);
        error = "";
        return true;
    }

    private static string? Text(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static bool TryTime(JsonObject obj, string name, out DateTimeOffset? time, out string error)
    {
        time = null;
        error = "";
        if (obj[name] is null)
        {
            return true;
        }

        if (!IsoTime.TryParse(Text(obj, name), out var parsed))
        {
            error = $"'{name}' must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z";
            return false;
        }

        time = parsed;
        return true;
    }
}
