namespace Bridge.Client;

/// <summary>
/// Whether a client's current connection is ready for calls, shared by the channel and ledger clients: completed
/// once a connection is established (and what it restores is re-sent), reset when that connection drops, failed for
/// good when the client closes. Calls wait on it, so a call made while the client reconnects goes out on the next
/// connection instead of failing. Thread-safe.
/// </summary>
internal sealed class ReadySignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _current = New();

    /// <summary>True while the current connection is established.</summary>
    public bool IsReady => Volatile.Read(ref _current).Task.IsCompletedSuccessfully;

    public void SetReady()
    {
        lock (_lock)
        {
            _current.TrySetResult();
        }
    }

    /// <summary>The connection dropped: calls from now on wait for the next one.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            if (_current.Task.IsCompleted)
            {
                Volatile.Write(ref _current, New());
            }
        }
    }

    /// <summary>The client closed for good: whoever waits, or will, gets <paramref name="reason"/>.</summary>
    public void Fail(Exception reason)
    {
        lock (_lock)
        {
            _current.TrySetException(reason);
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_lock)
        {
            ready = _current.Task;
        }

        return ready.WaitAsync(cancellationToken);
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
