using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// The one place the instance queue's deliveries are acknowledged, in batches: one basic.ack with multiple=true
/// every <c>batchSize</c> deliveries, and <see cref="RunFlushLoopAsync"/> acks the rest when the queue goes quiet.
/// Acking each delivery cost a frame and a socket write per message (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// Correct across recovery: the client's recovering channel keeps delivery tags increasing over reconnections
/// and drops an ack whose tag belongs to the lost connection, whose exclusive queue (and its unacknowledged
/// messages) went with it.
/// </remarks>
internal sealed class AcknowledgementBatcher(int batchSize, Func<IChannel?> consumeChannel, TimeProvider timeProvider, ILogger logger) : IDisposable
{
    // Bounds how long a quiet queue keeps its last few unacknowledged.
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _lock = new(1, 1);

    // The newest delivery handed to the index (written by the consumer dispatch) and the newest acknowledged (under _lock).
    private ulong _deliveredTag;
    private ulong _ackedTag;

    // Only the consumer dispatch (one at a time: ConsumerDispatchConcurrency = 1) touches it.
    private int _deliveriesSinceAck;

    /// <summary>Records that <paramref name="deliveryTag"/> was dispatched, acknowledging a batch when it is full.</summary>
    public ValueTask DeliveredAsync(ulong deliveryTag, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _deliveredTag, deliveryTag);
        if (++_deliveriesSinceAck < batchSize)
        {
            return ValueTask.CompletedTask;
        }

        _deliveriesSinceAck = 0;
        return AcknowledgeDeliveredAsync(cancellationToken);
    }

    /// <summary>Acknowledges what is left every flush interval until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunFlushLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await AcknowledgeDeliveredAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the connection closes next, and the exclusive queue with it.
        }
    }

    /// <summary>Acknowledges every delivery up to the newest one dispatched.</summary>
    private async ValueTask AcknowledgeDeliveredAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var tag = Volatile.Read(ref _deliveredTag);
            if (tag <= _ackedTag || consumeChannel() is not { } channel)
            {
                return;
            }

            try
            {
                await channel.BasicAckAsync(tag, multiple: true, cancellationToken);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or OperationCanceledException)
            {
                // The queue is exclusive: an ack lost with the connection costs nothing.
                RabbitMqLog.AckFailed(logger, tag, RabbitMqErrors.Describe(ex));
            }

            _ackedTag = tag;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
