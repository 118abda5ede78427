namespace Bridge.Broker;

/// <summary>A durable-queue consumer of <see cref="IBroker.ConsumeQueueAsync"/>.</summary>
public interface IQueueConsumer : IAsyncDisposable
{
    /// <summary>
    /// Takes no new message, lets the handlers in progress finish until <paramref name="drainDeadline"/> fires,
    /// then cancels those still running: their messages stay unacknowledged and go back to the queue.
    /// Disposing afterwards releases the rest.
    /// </summary>
    Task StopAsync(CancellationToken drainDeadline);
}
