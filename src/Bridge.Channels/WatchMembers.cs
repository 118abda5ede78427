namespace Bridge.Channels;

/// <summary>
/// The members of one watch group, read without a lock by the delivery path. Joining appends into spare room
/// of the current array and publishes a longer snapshot; leaving clears the member's slot (a reader skips
/// empty slots) and the array is compacted into a new one once the empty slots outnumber the members. Both are
/// O(1) amortized: an immutable array copied on every join made the N-th member of a popular watch cost O(N),
/// 19 000 watchers of one topic about 1.4 GB of copies, most of them on the large-object heap (issue 17 §3).
/// </summary>
/// <remarks>
/// Writers hold the group's lock. A published slot only ever changes from a member to empty, and members never
/// move within an array, so a reader sees each member at most once; one that took its snapshot before a leave
/// may still hand that member a frame, as before.
/// </remarks>
internal sealed class WatchMembers<T>
    where T : class
{
    private readonly Dictionary<T, int> _slots = new(ReferenceEqualityComparer.Instance);
    private volatile Snapshot _snapshot = new([], 0);
    private volatile int _count;
    private int _cleared;

    /// <summary>Members now (readable without the lock: a moment's value).</summary>
    public int Count => _count;

    /// <summary>What a delivery iterates: may contain empty slots, which it skips.</summary>
    public ReadOnlySpan<T?> Current
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.Items.AsSpan(0, snapshot.Count);
        }
    }

    /// <summary>With the writers' lock held.</summary>
    public bool Contains(T member) => _slots.ContainsKey(member);

    /// <summary>Adds a member that is not one yet (with the writers' lock held); false if it already is.</summary>
    public bool Add(T member)
    {
        if (_slots.ContainsKey(member))
        {
            return false;
        }

        var snapshot = _snapshot;
        var items = snapshot.Items;
        var count = snapshot.Count;
        if (count == items.Length)
        {
            (items, count) = Compact(snapshot, Math.Max(4, (_slots.Count + 1) * 2));
        }

        items[count] = member;
        _slots[member] = count;
        _snapshot = new Snapshot(items, count + 1);
        _count = _slots.Count;
        return true;
    }

    /// <summary>Removes a member (with the writers' lock held); false if it was none.</summary>
    public bool Remove(T member)
    {
        if (!_slots.Remove(member, out var slot))
        {
            return false;
        }

        var snapshot = _snapshot;
        Volatile.Write(ref snapshot.Items[slot], null);
        _cleared++;
        _count = _slots.Count;
        if (_slots.Count == 0)
        {
            _snapshot = new Snapshot([], 0);
            _cleared = 0;
        }
        else if (_cleared > _slots.Count)
        {
            var (items, count) = Compact(snapshot, Math.Max(4, _slots.Count * 2));
            _snapshot = new Snapshot(items, count);
        }

        return true;
    }

    /// <summary>The members of <paramref name="snapshot"/> at the start of a new array, their slots renumbered.</summary>
    private (T?[] Items, int Count) Compact(Snapshot snapshot, int capacity)
    {
        var fresh = new T?[capacity];
        var at = 0;
        foreach (var member in snapshot.Items.AsSpan(0, snapshot.Count))
        {
            if (member is not null)
            {
                _slots[member] = at;
                fresh[at++] = member;
            }
        }

        _cleared = 0;
        return (fresh, at);
    }

    private sealed record Snapshot(T?[] Items, int Count);
}
