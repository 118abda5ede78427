namespace Bridge.Broker;

/// <summary>
/// The subscribers of one binding, read without a lock by the delivery path. Adding appends into spare room
/// of the current array and publishes a longer snapshot; removing leaves a tombstone (the subscriber's own
/// removed flag) and the array is compacted once the dead outnumber the live. Both are O(1) amortized, where
/// copying the whole array on every change made joining the N-th watch of a shared binding cost O(N).
/// </summary>
/// <remarks>
/// One writer at a time (<see cref="SubscriptionIndex"/>'s lock). A snapshot never changes: an append writes
/// only beyond every published snapshot's count, and compaction builds a new array.
/// </remarks>
internal sealed class SubscriberList
{
    private volatile Snapshot _snapshot = new([], 0);
    private int _live;
    private int _dead;

    /// <summary>Subscribers not removed.</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>What a delivery iterates: may include removed subscribers, which it must skip.</summary>
    public ReadOnlySpan<SubscriptionIndex.Subscriber> Current
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.Items.AsSpan(0, snapshot.Count);
        }
    }

    public void Add(SubscriptionIndex.Subscriber subscriber)
    {
        var snapshot = _snapshot;
        var items = snapshot.Items;
        var count = snapshot.Count;
        if (count == items.Length)
        {
            (items, count) = Compact(snapshot, Math.Max(4, _live * 2));
            _dead = 0;
        }

        items[count] = subscriber;
        _snapshot = new Snapshot(items, count + 1);
        Volatile.Write(ref _live, _live + 1);
    }

    /// <summary>Accounts for a subscriber already marked removed; returns how many are left.</summary>
    public int Remove()
    {
        _dead++;
        var live = _live - 1;
        Volatile.Write(ref _live, live);
        if (_dead > live)
        {
            var (items, count) = Compact(_snapshot, Math.Max(4, live * 2));
            _snapshot = new Snapshot(items, count);
            _dead = 0;
        }

        return live;
    }

    /// <summary>
    /// The subscribers of <paramref name="snapshot"/> not marked removed, at the start of a new array of
    /// <paramref name="capacity"/>, and how many they are. Marking happens before the writer's lock, so this
    /// may drop one whose <see cref="Remove"/> is still to come: that only brings the next compaction forward.
    /// </summary>
    private static (SubscriptionIndex.Subscriber[] Items, int Count) Compact(Snapshot snapshot, int capacity)
    {
        var fresh = new SubscriptionIndex.Subscriber[capacity];
        var at = 0;
        foreach (var subscriber in snapshot.Items.AsSpan(0, snapshot.Count))
        {
            if (!subscriber.IsRemoved)
            {
                fresh[at++] = subscriber;
            }
        }

        return (fresh, at);
    }

    private sealed record Snapshot(SubscriptionIndex.Subscriber[] Items, int Count);
}
