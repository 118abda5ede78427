using Bridge.Observability;

namespace Bridge.Broker;

/// <summary>What became of one durable-queue message.</summary>
internal enum QueueOutcome
{
    Accepted,

    /// <summary>Refused or failed: dead-letter it.</summary>
    Refused,

    /// <summary>The consumer is stopping mid-message: leave it for redelivery.</summary>
    Abandoned,
}

/// <summary>Runs a <see cref="QueueHandler"/> the same way for every broker: a handler that throws has refused the message.</summary>
internal static partial class QueueHandlerRunner
{
    public static async ValueTask<QueueOutcome> RunAsync(QueueHandler handler, BrokerDelivery delivery, string queue, ILogger logger, CancellationToken stopping)
    {
        // The handler's work (a history write, a webhook POST) is a span of the producer's trace.
        using var activity = BridgeTracing.StartProcess(queue, delivery.RoutingKey, delivery.TraceContext);
        try
        {
            return await handler(delivery, stopping) ? QueueOutcome.Accepted : QueueOutcome.Refused;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return QueueOutcome.Abandoned;
        }
        catch (Exception ex)
        {
            HandlerFailed(logger, queue, ex);
            return QueueOutcome.Refused;
        }
    }

    [LoggerMessage(EventId = 1041, EventName = "QueueHandlerFailed", Level = LogLevel.Error,
        Message = "The handler of queue {Queue} failed: the message is dead-lettered")]
    private static partial void HandlerFailed(ILogger logger, string queue, Exception exception);
}
