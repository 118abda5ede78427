namespace Bridge.Channels;

/// <summary>
/// How many filtered watch groups may evaluate deliveries at once, shared by all of them: at most half the cores
/// (at least one), so that the other half stays with the broker's dispatch thread and the send loops whatever
/// filters clients send (issue 11, item 4). A singleton, so that every group of the process takes turns on one
/// gate (and a test can see that evaluation waits for it rather than running on the dispatch thread).
/// </summary>
internal sealed class FilterEvaluationSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;

    public FilterEvaluationSlots()
        : this(Math.Max(1, Environment.ProcessorCount / 2))
    {
    }

    public FilterEvaluationSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _slots = new SemaphoreSlim(count, count);
    }

    /// <summary>How many evaluations may run at once.</summary>
    public int Count { get; }

    /// <summary>Takes one slot; evaluation must <see cref="Release"/> it when done.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
