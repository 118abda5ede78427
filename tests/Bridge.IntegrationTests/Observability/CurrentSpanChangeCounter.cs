using System.Diagnostics;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// Counts how often <see cref="Activity.Current"/> is set anywhere in the process. Each set is an AsyncLocal write:
/// a new ExecutionContext, which every continuation started under it then carries. Counted rather than timed, so a
/// loaded machine changes nothing.
/// </summary>
public sealed class CurrentSpanChangeCounter : IDisposable
{
    private long _changes;

    public CurrentSpanChangeCounter() => Activity.CurrentChanged += OnCurrentChanged;

    /// <summary>Changes since the last <see cref="Reset"/>.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    public void Reset() => Interlocked.Exchange(ref _changes, 0);

    public void Dispose() => Activity.CurrentChanged -= OnCurrentChanged;

    private void OnCurrentChanged(object? sender, ActivityChangedEventArgs e) => Interlocked.Increment(ref _changes);
}
