using System.Collections.Concurrent;

namespace Bridge.Documents.Mongo;

/// <summary>
/// A fixed set of threads of their own for blocking libmongoc calls. On the shared thread pool, every call
/// blocked in the driver holds a pool thread: during a MongoDB outage a burst of queries (each blocked until
/// the driver's server selection gives up) would starve the pool that serves every WebSocket, and the
/// <c>store_unavailable</c> answers themselves would come late. Here such a burst only queues behind these
/// threads, and the caller's own timeout still answers in time. Threads start as calls need them, up to the
/// given number, and then stay.
/// </summary>
internal sealed class NativeCallThreads : IDisposable
{
    private readonly BlockingCollection<Action> _calls = [];
    private readonly int _maxThreads;
    private readonly string _name;
    private int _started;
    private int _idle;

    public NativeCallThreads(int maxThreads, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        _maxThreads = maxThreads;
        _name = name;
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
            if (Volatile.Read(ref _idle) == 0)
            {
                StartThread();
            }
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

    private void StartThread()
    {
        var number = Interlocked.Increment(ref _started);
        if (number > _maxThreads)
        {
            Interlocked.Decrement(ref _started);
            return;
        }

        new Thread(Work) { IsBackground = true, Name = $"{_name} {number}" }.Start();
    }

    private void Work()
    {
        while (true)
        {
            // Counted idle while waiting, so that a call arriving meanwhile does not start another thread.
            Interlocked.Increment(ref _idle);
            Action? call;
            try
            {
                if (!_calls.TryTake(out call, Timeout.Infinite))
                {
                    return;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _idle);
            }

            call();
        }
    }
}
