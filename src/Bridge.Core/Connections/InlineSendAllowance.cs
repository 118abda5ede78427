namespace Bridge.Connections;

/// <summary>
/// How many frames the current thread may still write itself (<see cref="WebSocketConnection.TrySend"/> with
/// <c>preferInline</c>) rather than hand to the connections' send loops. A dispatcher grants an allowance per
/// message (<see cref="Broker.SubscriptionIndex.Dispatch"/>: one), so however many recipients ask for an inline
/// send, the dispatching thread writes at most that many frames per message and queues the rest: fan-out stays on
/// the send loops' workers, where writing every recipient inline cost a fifth of its throughput (issue 17,
/// docs/benchmarks.md "Round 3").
/// </summary>
internal static class InlineSendAllowance
{
    // Outside any grant a thread has none: a frame queued from a request, a timer or a filter loop is never written inline.
    [ThreadStatic]
    private static int _left;

    /// <summary>Gives the current thread <paramref name="sends"/> inline sends until the scope is disposed.</summary>
    public static Scope Grant(int sends)
    {
        var previous = _left;
        _left = sends;
        return new Scope(previous);
    }

    /// <summary>Takes one inline send of the current grant; false when none is left.</summary>
    public static bool TryTake()
    {
        if (_left <= 0)
        {
            return false;
        }

        _left--;
        return true;
    }

    /// <summary>Restores the grant that was in force before (a handler may dispatch again, in process, on the same thread).</summary>
    public readonly ref struct Scope(int previous)
    {
        public void Dispose() => _left = previous;
    }
}
