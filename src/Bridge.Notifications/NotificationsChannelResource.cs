using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Channels.Recovery;
using Bridge.Connections;
using Bridge.Json;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// The <c>notifications</c> resource of the channel front. <c>query</c> (and <c>all</c>) page through the
/// history: <c>{"handler":"query","resource":"notifications","params":{"limit":50,"before":C}}</c> →
/// <c>{"handler":"list","resource":"notifications","items":[...],"next":C|null}</c>. Every connection on the
/// channel receives every message; on another channel (RackHD clients use "/") <c>watch</c> with
/// <c>"resource":"notifications"</c> starts the pushes and <c>stop</c> ends them.
/// A <c>watch</c> with <c>"recover": true</c> (issue 16 §1) moves the connection's push to the recovery log, with
/// positions and a replay after <c>"since"</c>; the router handles it through <see cref="Encoder"/>.
/// </summary>
internal sealed class NotificationsChannelResource(NotificationHistory history, IOptions<NotificationOptions> options) : IRecoverableChannelResource
{
    private readonly NotificationOptions _options = options.Value;

    public ResourceDefinition Definition { get; } = new(NotificationPush.Channel, Collection: null, IdField: "id",
        new WatchSource(options.Value.Exchange, NotificationPush.BindingKey, WatchFormat.Raw));

    public RetainedFrameEncoder Encoder { get; } = NotificationPush.TryEncodeFrame;

    public async ValueTask<bool> TryHandleAsync(WebSocketConnection connection, string handler, JsonNode? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        switch (handler)
        {
            case "query" or "all":
                if (parameters is not (null or JsonObject))
                {
                    throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, $"params of {handler} must be a JSON object");
                }

                if (!HistoryQuery.TryParse(HistoryQuery.FromJson(parameters as JsonObject), _options.DefaultPageSize, _options.MaxPageSize, out var query, out var error))
                {
                    throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, error);
                }

                var page = await history.ReadAsync(query, cancellationToken);
                connection.TrySend(ListFrame(Definition.Name, page));
                return true;
            // Pushes go to the resource's members: every connection on /notifications is one from the start (its
            // default resource), and a client on "/" that names the resource joins with watch and leaves with stop.
            case "watch":
                connection.Join(Definition.Name);
                return true;
            case "stop":
                if (connection.Path != Definition.Name)
                {
                    connection.Leave(Definition.Name);
                }

                return true;
            case "get":
                throw new ChannelRequestException(ChannelErrorCodes.NotSupported,
                    "notifications are read with query: {\"handler\":\"query\",\"params\":{\"id\":\"<transaction id>\"}}");
            default:
                return false;
        }
    }

    /// <summary>The channel's <c>list</c> reply with the page's <c>next</c> cursor.</summary>
    public static ReadOnlyMemory<byte> ListFrame(string resource, HistoryPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        // The frame writer every other reply uses (it used to escape '<', '&' and non-ASCII text as \uXXXX here only).
        return JsonFrames.WriteObject(writer =>
        {
            writer.WriteString("handler", "list");
            writer.WriteString("resource", resource);
            WritePage(writer, page);
        });
    }

    /// <summary>Writes <c>"items":[...],"next":..</c> into an open object (shared with the HTTP API).</summary>
    public static void WritePage(Utf8JsonWriter writer, HistoryPage page)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(page);
        writer.WriteStartArray("items");
        foreach (var item in page.Items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
        if (page.Next is null)
        {
            writer.WriteNull("next");
        }
        else
        {
            writer.WriteString("next", page.Next);
        }
    }
}
