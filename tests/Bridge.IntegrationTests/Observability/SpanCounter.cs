using System.Collections.Concurrent;
using System.Diagnostics;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// Counts the spans started in the process, by source and name, without asking for any: its sampler says "none", so
/// it sees what the host's own OpenTelemetry tracer provider starts and changes nothing when tracing is off.
/// </summary>
public sealed class SpanCounter : IDisposable
{
    private readonly ConcurrentDictionary<string, int> _started = new(StringComparer.Ordinal);
    private readonly ActivityListener _listener;

    public SpanCounter()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static _ => true,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = activity => _started.AddOrUpdate($"{activity.Source.Name}: {activity.OperationName}", 1, static (_, n) => n + 1),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Spans started since the last <see cref="Reset"/>, by "source: name".</summary>
    public IReadOnlyDictionary<string, int> Started => new SortedDictionary<string, int>(_started, StringComparer.Ordinal);

    public void Reset() => _started.Clear();

    public void Dispose() => _listener.Dispose();
}
