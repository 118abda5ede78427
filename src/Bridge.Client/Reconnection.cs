using System.Net.WebSockets;
using Polly;
using Polly.Retry;

namespace Bridge.Client;

/// <summary>
/// The reconnection both clients share: a retry pipeline with exponential backoff and jitter, and the loop
/// that waits for a connection's receive loop to end, reports the drop, and opens the next connection
/// through that pipeline. What a connection is (how it is opened, what it restores) stays with each client.
/// </summary>
internal static class Reconnection
{
    /// <summary>Retries for ever, except what <paramref name="isFinal"/> says no retry can fix.</summary>
    public static ResiliencePipeline CreatePipeline(
        TimeProvider timeProvider, TimeSpan delay, TimeSpan maxDelay, Func<Exception, bool> isFinal, Action<int, TimeSpan, Exception?> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => !isFinal(ex)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delay,
                MaxDelay = maxDelay,
                OnRetry = args =>
                {
                    onRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            })
            .Build();

    /// <summary>
    /// Runs until the client is closed (<paramref name="lifetime"/>), reconnection is off, or the pipeline gives
    /// up. <paramref name="dropped"/> hears of every drop (its error, if any, and whether a reconnection
    /// follows); <paramref name="gaveUp"/> of the error that ended the retries.
    /// </summary>
    public static async Task RunAsync(
        ClientWebSocket socket,
        Task receiving,
        bool autoReconnect,
        ResiliencePipeline pipeline,
        Func<CancellationToken, Task<(ClientWebSocket Socket, Task Receiving)>> establish,
        Action<Exception?, bool> dropped,
        Action<Exception> gaveUp,
        CancellationToken lifetime)
    {
        while (true)
        {
            Exception? error = null;
            try
            {
                await receiving;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !lifetime.IsCancellationRequested)
            {
                error = ex;
            }
            catch (OperationCanceledException)
            {
                // Closed on purpose.
            }

            // Disposed before the owner fails its pending calls, so a call racing the drop cannot send on it unnoticed.
            socket.Abort();
            socket.Dispose();
            var willReconnect = autoReconnect && !lifetime.IsCancellationRequested;
            dropped(error, willReconnect);
            if (!willReconnect)
            {
                return;
            }

            try
            {
                (socket, receiving) = await pipeline.ExecuteAsync(static async (open, ct) => await open(ct), establish, lifetime);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                gaveUp(ex);
                return;
            }
        }
    }
}
