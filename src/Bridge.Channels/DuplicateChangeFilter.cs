namespace Bridge.Channels;

/// <summary>
/// For a resource watched on both the broker and a change stream (<see cref="ChangeSource.Both"/>): RackHD's
/// <c>on.waterline</c> event and the change stream report the same write, so each report from one source is paired
/// with one unpaired report of the same event and id from the other, within <see cref="Window"/>, and only the
/// first of a pair is delivered. A change only one source sees (a script's write, with no broker event) is
/// delivered, and its entry expires unpaired.
/// </summary>
internal sealed class DuplicateChangeFilter(TimeProvider timeProvider)
{
    /// <summary>How long a report waits for its twin from the other source; both arrive within milliseconds normally.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly object _lock = new();
    private readonly Dictionary<(string Event, string Id), Queue<Pending>> _pending = [];
    private readonly Queue<((string Event, string Id) Key, Pending Entry)> _byAge = new();

    /// <summary>True when this report is the twin of one already delivered from the other source (drop it).</summary>
    public bool IsDuplicate(ChangeOrigin source, string eventName, string id)
    {
        var now = timeProvider.GetUtcNow();
        var key = (eventName, id);
        lock (_lock)
        {
            Expire(now);
            if (_pending.TryGetValue(key, out var waiting))
            {
                // Queued oldest first, all from one source (a twin consumes the other source's entry at once).
                if (waiting.TryPeek(out var oldest) && oldest.Source != source)
                {
                    waiting.Dequeue();
                    oldest.Paired = true;
                    if (waiting.Count == 0)
                    {
                        _pending.Remove(key);
                    }

                    return true;
                }
            }
            else
            {
                waiting = new Queue<Pending>();
                _pending[key] = waiting;
            }

            var entry = new Pending(source, now + Window);
            waiting.Enqueue(entry);
            _byAge.Enqueue((key, entry));
            return false;
        }
    }

    /// <summary>Reports still waiting for a twin (for tests).</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Values.Sum(static q => q.Count);
            }
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_byAge.TryPeek(out var oldest) && (oldest.Entry.Paired || oldest.Entry.ExpiresAt <= now))
        {
            _byAge.Dequeue();
            if (oldest.Entry.Paired || !_pending.TryGetValue(oldest.Key, out var waiting))
            {
                continue;
            }

            if (waiting.TryPeek(out var first) && ReferenceEquals(first, oldest.Entry))
            {
                waiting.Dequeue();
            }

            if (waiting.Count == 0)
            {
                _pending.Remove(oldest.Key);
            }
        }
    }

    private sealed class Pending(ChangeOrigin source, DateTimeOffset expiresAt)
    {
        public ChangeOrigin Source { get; } = source;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public bool Paired { get; set; }
    }
}
