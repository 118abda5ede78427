using Bridge.Broker;
using Bridge.Broker.Recovery;
using Bridge.Connections;

namespace Bridge.Channels.Recovery;

/// <summary>
/// One connection's recovering watch, and the seam between its replay and its live frames (issue 16 §1).
/// </summary>
/// <remarks>
/// Live frames (from the group) are held from the moment the member joins while a replay or a snapshot is due.
/// The replay reads the log after <c>since</c> on a reader of its own and sends what the watch would have
/// received, up to the log's end as it was when the replay was asked for (<see cref="IRecoveryLog.ReplayAsync"/>),
/// however far this instance's live reader has got: then <c>recovered</c>, then the held frames above that end,
/// then live frames as they come: every offset once, in order, whichever reader saw it first. Positions it cannot
/// honour (another epoch, older than what is retained, beyond the end) end with <c>recovered:false</c> and the held
/// frames (after a fresh <c>list</c> for a snapshot watch).
/// </remarks>
internal sealed class RecoveringMember
{
    private readonly object _lock = new();
    private readonly RecoveringWatchGroup _group;
    private readonly RecoveryOptions _options;
    private readonly List<(long Offset, ReadOnlyMemory<byte> Frame)> _held = [];
    private readonly TaskCompletionSource<bool> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _holding;
    private bool _replaying;
    private bool _recoveredSent;
    private long _since;
    private long _lastSeen = long.MinValue;
    private long _missed;
    private IAsyncDisposable? _reader;
    private Task _stopping = Task.CompletedTask;

    /// <param name="group">The watch.</param>
    /// <param name="connection">The watcher.</param>
    /// <param name="hold">Hold live frames until <see cref="RecoverAsync"/> has sent the replay or the snapshot.</param>
    /// <param name="options">The bound on held frames.</param>
    public RecoveringMember(RecoveringWatchGroup group, WebSocketConnection connection, bool hold, RecoveryOptions options)
    {
        _group = group;
        Connection = connection;
        _holding = hold;
        _options = options;
    }

    public WebSocketConnection Connection { get; }

    public RecoveringWatchGroup Group => _group;

    /// <summary>The registry that holds the member (set when it joins).</summary>
    internal RecoveringWatchRegistry? Registry { get; set; }

    /// <summary>Leaves the watch (on <c>stop</c> or close).</summary>
    public ValueTask LeaveAsync() => Registry?.LeaveAsync(this) ?? StopAsync();

    /// <summary>
    /// Sends the replay after <paramref name="since"/> (or the snapshot, or nothing), the <c>recovered</c> frame
    /// when a position was given, and releases the held live frames. Completes when the <c>recovered</c> frame is out.
    /// </summary>
    public async Task RecoverAsync(RecoveryPosition? since, RecoverySnapshot? snapshot, CancellationToken cancellationToken)
    {
        if (since is not { } position)
        {
            if (snapshot is not null)
            {
                await SendSnapshotAsync(snapshot, recovered: null, cancellationToken);
            }

            return;
        }

        var log = _group.Log;
        var lost = position.Epoch != log.EpochOf(_group.Exchange);
        if (!lost)
        {
            await StartReplayAsync(log, position.Offset, cancellationToken);
            using var registration = cancellationToken.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetCanceled(), _outcome);
            lost = !await _outcome.Task;
        }

        if (lost)
        {
            await LoseAsync(snapshot, cancellationToken);
        }
    }

    /// <summary>A live frame from the group (the log's dispatch).</summary>
    internal void OnLive(long offset, ReadOnlyMemory<byte> frame)
    {
        lock (_lock)
        {
            if (_holding)
            {
                if (_held.Count >= _options.MaxHeldFrames)
                {
                    // The replay cannot catch up with the live traffic: let the client go, as a slow consumer is.
                    Connection.Abort();
                    return;
                }

                _held.Add((offset, frame));
                return;
            }

            if (offset > _lastSeen)
            {
                _lastSeen = offset;
                Connection.TrySend(frame);
            }
        }
    }

    /// <summary>The log's stream was replaced (a new epoch): its offsets start over, and every one of them is news.</summary>
    internal void OnNewEpoch()
    {
        lock (_lock)
        {
            _lastSeen = long.MinValue;
        }
    }

    /// <summary>Stops the replay; the member is leaving.</summary>
    public async ValueTask StopAsync()
    {
        lock (_lock)
        {
            _replaying = false;
            StopReader();
        }

        _outcome.TrySetResult(true);
        await _stopping;
    }

    private async Task StartReplayAsync(IRecoveryLog log, long after, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _since = after;
            _lastSeen = after;
            _replaying = true;
        }

        var reader = await log.ReplayAsync(_group.Exchange, after, OnReplay, OnReplayEnd, cancellationToken);
        lock (_lock)
        {
            _reader = reader;
            if (!_replaying)
            {
                // The replay ended (or the member left) before this line: nothing stopped the reader yet.
                StopReader();
            }
        }
    }

    private void OnReplay(long offset, in BrokerDelivery delivery)
    {
        if (offset <= _since)
        {
            return;
        }

        var shown = _group.TryEncode(offset, delivery, out var frame);
        lock (_lock)
        {
            if (!_replaying || offset <= _lastSeen)
            {
                return;
            }

            if (shown)
            {
                Connection.TrySend(frame);
                _missed++;
            }

            _lastSeen = offset;
        }
    }

    private void OnReplayEnd(ReplayOutcome outcome, long end)
    {
        lock (_lock)
        {
            if (!_replaying)
            {
                return;
            }

            if (outcome == ReplayOutcome.CaughtUp)
            {
                // Everything up to the end is sent (or not shown by this watch); the live frames take over after it.
                _lastSeen = Math.Max(_lastSeen, end);
                Seam();
                return;
            }

            _replaying = false;
            StopReader();
            _outcome.TrySetResult(false);
        }
    }

    /// <summary>Under the lock: the replay is done; <c>recovered</c>, then the held frames it did not already send.</summary>
    private void Seam()
    {
        _replaying = false;
        StopReader();
        if (!_recoveredSent)
        {
            _recoveredSent = true;
            Connection.TrySend(RecoveryFrames.Recovered(_group.Key.Resource, _group.Key.Params, recovered: true, _missed));
        }

        ReleaseHeld(onlyAfter: _lastSeen);
        _outcome.TrySetResult(true);
    }

    private async Task LoseAsync(RecoverySnapshot? snapshot, CancellationToken cancellationToken)
    {
        if (snapshot is not null)
        {
            await SendSnapshotAsync(snapshot, recovered: false, cancellationToken);
            return;
        }

        lock (_lock)
        {
            Connection.TrySend(RecoveryFrames.Recovered(_group.Key.Resource, _group.Key.Params, recovered: false, 0));

            // The position meant nothing here: every held frame is live news, whatever its offset.
            ReleaseHeld(onlyAfter: long.MinValue);
        }
    }

    private async Task SendSnapshotAsync(RecoverySnapshot snapshot, bool? recovered, CancellationToken cancellationToken)
    {
        var items = await snapshot.Read(cancellationToken);
        var list = ChannelFrames.List(_group.Key.Resource, items);
        lock (_lock)
        {
            Connection.TrySend(list);
            if (recovered is { } value)
            {
                Connection.TrySend(RecoveryFrames.Recovered(_group.Key.Resource, _group.Key.Params, value, 0));
            }

            var kept = new HashSet<ReadOnlyMemory<byte>>(
                SnapshotMerge.Unreflected(items, snapshot.IdField, [.. _held.Select(static h => h.Frame)]), FrameIdentity.Instance);
            foreach (var (offset, frame) in _held)
            {
                if (kept.Contains(frame))
                {
                    Connection.TrySend(frame);
                }

                _lastSeen = offset;
            }

            _held.Clear();
            _holding = false;
        }
    }

    private void ReleaseHeld(long onlyAfter)
    {
        _lastSeen = onlyAfter;
        foreach (var (offset, frame) in _held)
        {
            if (offset > _lastSeen)
            {
                Connection.TrySend(frame);
                _lastSeen = offset;
            }
        }

        _held.Clear();
        _holding = false;
    }

    /// <summary>Under the lock. The reader is closed off the dispatch thread that may be calling us (a channel cannot close from inside its own delivery).</summary>
    private void StopReader()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            var previous = _stopping;
            _stopping = Task.Run(async () =>
            {
                await previous;
                await reader.DisposeAsync();
            });
        }
    }

    /// <summary>Frames compared by the array they live in: the merge hands back the very frames it was given.</summary>
    private sealed class FrameIdentity : IEqualityComparer<ReadOnlyMemory<byte>>
    {
        public static readonly FrameIdentity Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Equals(y);

        public int GetHashCode(ReadOnlyMemory<byte> obj) => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(obj, out var segment)
            ? System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(segment.Array) ^ segment.Offset
            : obj.Length;
    }
}
