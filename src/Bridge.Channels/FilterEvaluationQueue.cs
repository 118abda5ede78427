using System.Threading.Channels;

namespace Bridge.Channels;

/// <summary>
/// Runs a watch's filter work in order on a loop of its own, one shared <see cref="FilterEvaluationSlots"/> slot at
/// a time, instead of on the thread that produced it (the broker's dispatch thread, a change feed's loop): a
/// client's filter, however costly, must not delay the frames of any other watch (issue 11, item 4).
/// Bounded: when the watch falls <c>capacity</c> items behind, <c>onFull</c> lets its members go, as a slow
/// consumer is let go; the item is dropped with them.
/// </summary>
internal sealed class FilterEvaluationQueue
{
    private readonly Channel<Action> _work;
    private readonly FilterEvaluationSlots? _slots;
    private readonly Action _onFull;
    private readonly Action<Exception> _onFailed;
    private readonly Task _loop;

    /// <param name="capacity">Items the queue holds before <paramref name="onFull"/>.</param>
    /// <param name="slots">The process's shared evaluation slots; none for no bound.</param>
    /// <param name="onFull">Called (on the producer's thread) for each item that does not fit.</param>
    /// <param name="onFailed">Called on the loop when an item throws; the loop goes on with the next.</param>
    public FilterEvaluationQueue(int capacity, FilterEvaluationSlots? slots, Action onFull, Action<Exception> onFailed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = slots;
        _onFull = onFull;
        _onFailed = onFailed;
        _work = Channel.CreateBounded<Action>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = RunAsync();
    }

    /// <summary>Queues <paramref name="work"/> without waiting. It must not refer to memory the caller reuses.</summary>
    public void Enqueue(Action work)
    {
        if (!_work.Writer.TryWrite(work))
        {
            _onFull();
        }
    }

    /// <summary>Ends the loop once what is queued has run.</summary>
    public Task CompleteAsync()
    {
        _work.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        // Off the constructor's thread (its caller may hold a lock), and then on the thread pool.
        await Task.Yield();
        await foreach (var work in _work.Reader.ReadAllAsync(CancellationToken.None))
        {
            if (_slots is not null)
            {
                await _slots.WaitAsync(CancellationToken.None);
            }

            try
            {
                work();
            }
            catch (Exception ex)
            {
                _onFailed(ex);
            }
            finally
            {
                _slots?.Release();
            }
        }
    }
}
