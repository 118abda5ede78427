using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Kernel;
using Bridge.Webhooks;
using Microsoft.Extensions.Options;

namespace Bridge.Subscriptions;

/// <summary>
/// What <c>GET /.well-known/bridge</c> says (seed 002 "Discovery"): the subscription channel types the bridge
/// offers, where to subscribe to each, and the resources and features each supports. Other endpoints (the
/// ledger front's <c>GET /</c>) include <see cref="DescribeSubscriptions"/> as their <c>subscriptions</c> member.
/// </summary>
internal sealed class BridgeDiscovery(ResourceTable resources, IOptions<BridgeOptions> options)
{
    public const string Path = "/.well-known/bridge";
    public const string SubscriptionsPath = "/api/subscriptions";

    private readonly string _baseUrl = options.Value.PublicUrl.TrimEnd('/');

    /// <summary>The whole discovery document: <c>{"subscriptions":{...}}</c>.</summary>
    public JsonObject Describe() => new() { ["subscriptions"] = DescribeSubscriptions() };

    /// <summary><c>{"channels":[{"type":"websocket",...},{"type":"webhook",...}]}</c>, a fresh object every call.</summary>
    public JsonObject DescribeSubscriptions()
    {
        var watchable = resources.All.Where(r => r.Watch is not null || r.IsMq).Select(r => r.Name).Order(StringComparer.Ordinal).ToList();
        var webSocketBase = _baseUrl.StartsWith("https:", StringComparison.OrdinalIgnoreCase)
            ? "wss:" + _baseUrl["https:".Length..]
            : "ws:" + _baseUrl[(_baseUrl.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var exchanges = new JsonArray([.. resources.MqExchanges.Order(StringComparer.Ordinal).Select(e => JsonValue.Create(e))]);
        return new JsonObject
        {
            ["channels"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "websocket",
                    ["subscriptionUrl"] = webSocketBase + "/{resource}",
                    ["resources"] = new JsonArray([.. watchable.Select(n => JsonValue.Create(n))]),
                    ["mqExchanges"] = exchanges.DeepClone(),
                    ["features"] = new JsonArray("filter"),
                },
                new JsonObject
                {
                    ["type"] = WebhookSubscription.WebhookType,
                    ["subscriptionUrl"] = _baseUrl + SubscriptionsPath,
                    ["resources"] = new JsonArray([.. watchable.Where(n => n != ResourceDefinition.Mq).Select(n => JsonValue.Create(n))]),
                    ["mqExchanges"] = exchanges,
                    ["features"] = new JsonArray("filter", "rate", "startAt", "endAt", "ping", "rotate"),
                    ["signature"] = "Standard Webhooks (standardwebhooks.com): webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">",
                }),
        };
    }
}
