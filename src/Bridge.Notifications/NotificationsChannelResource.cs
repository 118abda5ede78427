using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Connections;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// The <c>notifications</c> resource of the channel front. <c>query</c> (and <c>all</c>) page through the
/// history: <c>{"handler":"query","resource":"notifications","params":{"limit":50,"before":C}}</c> →
/// <c>{"handler":"list","resource":"notifications","items":[...],"next":C|null}</c>. <c>watch</c> and
/// <c>stop</c> are accepted and do nothing: every connection on the channel already receives every message.
/// </summary>
public sealed class NotificationsChannelResource(NotificationHistory history, IOptions<NotificationOptions> options) : IChannelResource
{
    private readonly NotificationOptions _options = options.Value;

    public ResourceDefinition Definition { get; } = new(NotificationPush.Channel, Collection: null, IdField: "id",
        new WatchSource(options.Value.Exchange, NotificationPush.BindingKey, WatchFormat.Raw));

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
            case "watch" or "stop":
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
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("handler", "list");
            writer.WriteString("resource", resource);
            WritePage(writer, page);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
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
