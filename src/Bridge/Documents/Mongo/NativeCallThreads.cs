using System.Collections.Concurrent;

namespace Bridge.Documents.Mongo;

/// <summary>
/// A fixed set of threads of their own for blocking libmongoc calls. On the shared thread pool, every call
/// blocked in the driver holds a pool thread: during a MongoDB outage a burst of queries (each blocked until
/// the driver's server selection gives up) would starve the pool that serves every WebSocket, and the
/// <c>store_unavailable</c> answers themselves would come late. Here such a burst only queues behind these
/// threads, and the caller's own timeout still answers in time.
/// </summary>
internal sealed class NativeCallThreads : IDisposable
{
    private readonly BlockingCollection<Action> _calls = [];
    private readonly Thread[] _threads;

    public NativeCallThreads(int count, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"{name} {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="call"/> on one of the threads; the task completes with its result or exception.</summary>
    public Task<T> RunAsync<T>(Func<T> call)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _calls.Add(() =>
            {
                try
                {
                    completion.SetResult(call());
                }
                catch (Exception ex)
                {
                    completion.SetException(ex);
                }
            });
        }
        catch (InvalidOperationException ex)
        {
            // Disposed: the store is shutting down.
            completion.SetException(new ObjectDisposedException(nameof(NativeCallThreads), ex));
        }

        return completion.Task;
    }

    /// <summary>Lets the threads finish the calls already queued, then end.</summary>
    public void Dispose() => _calls.CompleteAdding();

    private void Work()
    {
        foreach (var call in _calls.GetConsumingEnumerable())
        {
            call();
        }
    }
}
