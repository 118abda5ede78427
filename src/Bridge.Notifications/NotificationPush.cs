using Bridge.Broker;
using Bridge.Channels;
using Bridge.Channels.Recovery;
using Bridge.Connections;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// The live half (contract "Push"): every webhook_tx message this instance's broker queue receives is sent
/// at once to every connection on the <c>notifications</c> channel, no <c>watch</c> needed. Each instance
/// subscribes for itself (its own server-named queue), so every UI on every instance gets every message.
/// </summary>
internal sealed class NotificationPush(
    IBroker broker,
    ConnectionRegistry connections,
    IOptions<NotificationOptions> options,
    TimeProvider timeProvider,
    BridgeMetrics metrics,
    ILogger<NotificationPush> logger,
    IRecoveringWatchers? recoveringWatches = null) : BackgroundService
{
    /// <summary>The channel (and resource) name UIs connect to: <c>ws://host/notifications</c>.</summary>
    public const string Channel = "notifications";

    /// <summary><c>#</c> matches zero or more words: <c>webhook_tx</c> and <c>webhook_tx.template</c> alike.</summary>
    public const string BindingKey = TransactionMessage.Type + ".#";

    private readonly string _exchange = options.Value.Exchange;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Registered at once whether or not RabbitMQ is connected yet: the broker binds it when it can and
        // restores it after every reconnection by itself (IBroker.SubscribeAsync), so there is nothing to retry here.
        IBrokerSubscription subscription;
        try
        {
            subscription = await broker.SubscribeAsync(_exchange, BindingKey, OnDelivery, stoppingToken);
        }
        catch (NotSupportedException ex)
        {
            // A broker without subscriptions (a test double) leaves the bridge without live notifications only.
            NotificationsLog.PushUnavailable(logger, ex.Message);
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            NotificationsLog.PushStarted(logger, _exchange, Channel, subscription.Problem is { } problem ? "waiting: " + problem : "bound");
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await subscription.DisposeAsync();
        }
    }

    /// <summary>On the broker's dispatch thread: parse, encode once, queue to every socket without blocking.</summary>
    private void OnDelivery(in BrokerDelivery delivery)
    {
        if (!TransactionMessage.TryParse(delivery.Body.Span, out var message, out var error))
        {
            NotificationsLog.Invalid(logger, delivery.Exchange, delivery.RoutingKey, "pushed", error);
            return;
        }

        var id = TransactionMessage.IdOf(message);
        var frame = Frame(id, message);

        // A connection with a recovering watch here gets these frames, with positions, from the recovery log instead.
        var sent = recoveringWatches is null
            ? connections.BroadcastToMembers(Channel, frame)
            : connections.Broadcast(frame, connection => connection.IsMemberOf(Channel) && !recoveringWatches.IsWatching(connection, Channel));
        metrics.Channels.DeliveryHandedOver(delivery.ReceivedTimestamp);
        NotificationsLog.Broadcast(logger, id, TransactionMessage.StatusOf(message), sent);
    }

    /// <summary>The pushed frame of a retained message (a recovering watch on the channel): the same shape as the live push.</summary>
    public static bool TryEncodeFrame(in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        if (!TransactionMessage.TryParse(delivery.Body.Span, out var message, out _))
        {
            frame = default;
            return false;
        }

        frame = Frame(TransactionMessage.IdOf(message), message);
        return true;
    }

    private static ReadOnlyMemory<byte> Frame(string? id, System.Text.Json.Nodes.JsonObject message) =>
        ChannelFrames.Change("item", Channel, System.Text.Json.Nodes.JsonValue.Create(id), message);
}
