using Bridge.Observability;

namespace Bridge.Broker;

/// <summary>Runs a <see cref="QueueHandler"/> the same way for every broker: a handler that throws has refused the message.</summary>
internal static partial class QueueHandlerRunner
{
    /// <summary>The AMQP header that carries a dead-lettered message's reason.</summary>
    public const string ReasonHeader = "x-bridge-dead-letter-reason";

    public static async ValueTask<QueueVerdict> RunAsync(QueueHandler handler, BrokerDelivery delivery, string queue, ILogger logger, CancellationToken stopping)
    {
        // The handler's work (a history write, a webhook POST) is a span of the producer's trace.
        using var activity = BridgeTracing.StartProcess(queue, delivery.RoutingKey, delivery.TraceContext);
        try
        {
            return await handler(delivery, stopping) ? QueueVerdict.Accepted : new QueueVerdict(QueueOutcome.Refused, "refused by its handler");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return QueueVerdict.Abandoned;
        }
        catch (DeadLetterException ex)
        {
            // The handler has said why (and logged it): no error of ours.
            return new QueueVerdict(QueueOutcome.Refused, ex.Message);
        }
        catch (Exception ex)
        {
            HandlerFailed(logger, queue, ex);
            return new QueueVerdict(QueueOutcome.Refused, "its handler failed: " + ex.Message);
        }
    }

    [LoggerMessage(EventId = 1041, EventName = "QueueHandlerFailed", Level = LogLevel.Error,
        Message = "The handler of queue {Queue} failed: the message is dead-lettered")]
    private static partial void HandlerFailed(ILogger logger, string queue, Exception exception);
}
