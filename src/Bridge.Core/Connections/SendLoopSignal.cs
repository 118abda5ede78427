using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace Bridge.Connections;

/// <summary>
/// How a connection's send loop waits for frames, and how whoever queues one wakes it: on the thread pool, as a
/// channel's own wait would, or, when the queuing thread asks and may (<see cref="InlineSendAllowance"/>), on the
/// queuing thread itself, which then writes the frame at once instead of waking a worker to do it (issue 17: that
/// wake-up was one of the four thread hops of a one-recipient message).
/// </summary>
/// <remarks>
/// Only the loop waits, and only one waker completes each wait: the loop publishes <c>Parked</c> before it looks at
/// the queue a last time, and a waker must take <c>Parked</c> away (compare-and-swap) before it completes the wait,
/// so a frame queued at any moment is either seen by the loop or wakes it, and never both. A loop resumed on the
/// queuing thread runs only until its next wait or its first send that cannot complete at once: that send's
/// continuation goes wherever the socket completes it, and the queuing thread gets control back.
/// </remarks>
internal sealed class SendLoopSignal : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    private const int Running = 0;
    private const int Parked = 1;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state = Running;

    /// <summary>
    /// Called only by the loop, when it found nothing to send: parks it, unless frames (or the queue's end) arrived
    /// meanwhile, in which case it returns false and the loop goes on. After true the loop awaits <see cref="WaitAsync"/>.
    /// </summary>
    /// <param name="queue">The queue the loop drains: looked at again once the loop is parked.</param>
    public bool TryPark<T>(ChannelReader<T> queue)
    {
        _core.Reset();
        Interlocked.Exchange(ref _state, Parked);

        // A frame (or the end) that arrived before Parked was visible found nobody to wake: look once more. If a
        // waker took Parked away meanwhile, the wait is its to complete, and the loop must wait for that.
        return !(queue.Count > 0 || queue.Completion.IsCompleted)
            || Interlocked.CompareExchange(ref _state, Running, Parked) != Parked;
    }

    /// <summary>
    /// The parked loop's wait. Completes with true when the loop was resumed on the thread that queued a frame (it
    /// then sends that frame only, and leaves the thread), false when on the thread pool.
    /// </summary>
    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    /// <summary>
    /// Wakes the loop if it is parked; a no-op when it is running (it will find the frame itself). With
    /// <paramref name="preferInline"/>, and an inline send left in the thread's <see cref="InlineSendAllowance"/>,
    /// the loop resumes inside this call, on the caller's thread; otherwise on the thread pool.
    /// </summary>
    public void Wake(bool preferInline)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Parked) != Parked)
        {
            return;
        }

        // The allowance is spent only on a loop that was idle: a busy one takes the frame without any wake-up.
        var onThisThread = preferInline && InlineSendAllowance.TryTake();

        // The one waker of this wait: nobody else touches the core until the loop has resumed and waits again.
        if (onThisThread)
        {
            _core.RunContinuationsAsynchronously = false;
            _core.SetResult(true);
            return;
        }

        // To the pool's global queue, as a channel wakes its reader: the core's own asynchronous completion would
        // prefer the waker's local queue, and a dispatch thread fanning out to 200 idle connections would then
        // hold the 200 send loops in its own queue, to run them itself or have them stolen one by one.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Resumes the loop on a pool thread (see <see cref="Wake"/>).</summary>
    void IThreadPoolWorkItem.Execute()
    {
        _core.RunContinuationsAsynchronously = false;
        _core.SetResult(false);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
