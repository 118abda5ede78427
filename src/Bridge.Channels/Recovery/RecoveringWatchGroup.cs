using System.Collections.Immutable;
using Bridge.Broker;
using Bridge.Broker.Recovery;

namespace Bridge.Channels.Recovery;

/// <summary>
/// The connections of one recovering watch (same resource, same params) on this instance. Its live frames come
/// from the recovery log, not from the broker queue, so that each carries the log's offset as its position: one
/// live subscription per group, each message encoded once and positioned once, then handed to every member,
/// which sends it or holds it while its own replay runs (<see cref="RecoveringMember"/>).
/// A filtered group encodes off the log's reader (shared by every recovering watch of the exchange), on a
/// <see cref="FilterEvaluationQueue"/> of its own, so that its filter cannot delay another watch's frames
/// (issue 11, item 4); falling too far behind there lets its members go, as a filtered plain watch does.
/// </summary>
internal sealed class RecoveringWatchGroup
{
    private readonly IRecoveryLog _log;
    private readonly RetainedFrameEncoder _encoder;
    private readonly FilterEvaluationQueue? _evaluation;
    private readonly ILogger _logger;
    private int _overflowReported;
    private string? _liveEpoch;
    private ImmutableArray<RecoveringMember> _members = [];

    /// <param name="key">The watch's resource and canonical params.</param>
    /// <param name="exchange">The retained exchange it reads.</param>
    /// <param name="bindingKey">Its binding key on that exchange.</param>
    /// <param name="encoder">Turns a message into the watch's frame (applying its filter); false when the watch does not show it.</param>
    /// <param name="log">The recovery log.</param>
    /// <param name="onEnd">Runs when the group ends.</param>
    /// <param name="evaluateOffReader">True for a filtered watch: its live encoding runs on a queue of its own, not on the log's reader.</param>
    /// <param name="evaluationSlots">The shared evaluation slots that queue waits for; none for no bound.</param>
    /// <param name="filterQueueCapacity">Live messages a filtered group may hold before its members are let go.</param>
    /// <param name="logger">Logs a live message the encoding failed on.</param>
    public RecoveringWatchGroup(
        (string Resource, string Params) key,
        string exchange,
        string bindingKey,
        RetainedFrameEncoder encoder,
        IRecoveryLog log,
        Func<ValueTask>? onEnd = null,
        bool evaluateOffReader = false,
        FilterEvaluationSlots? evaluationSlots = null,
        int filterQueueCapacity = WatchGroup.DefaultFilterQueueCapacity,
        ILogger? logger = null)
    {
        Key = key;
        Exchange = exchange;
        BindingKey = bindingKey;
        _encoder = encoder;
        _log = log;
        OnEnd = onEnd;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (evaluateOffReader)
        {
            _evaluation = new FilterEvaluationQueue(filterQueueCapacity, evaluationSlots, LetMembersGo,
                ex => ChannelLog.DeliveryDropped(_logger, key.Resource, exchange, bindingKey, ex.Message));
        }
    }

    public (string Resource, string Params) Key { get; }

    public string Exchange { get; }

    public string BindingKey { get; }

    internal IRecoveryLog Log => _log;

    /// <summary>The group's live subscription through the recovery log (which binds the broker).</summary>
    internal IAsyncDisposable? LogSubscription { get; private set; }

    /// <summary>Runs when the group ends (the encoder's own resources).</summary>
    internal Func<ValueTask>? OnEnd { get; }

    internal async Task StartAsync(CancellationToken cancellationToken) =>
        LogSubscription = await _log.SubscribeAsync(Exchange, BindingKey, OnLive, cancellationToken);

    /// <summary>
    /// Adds a member before its replay is asked for: every offset above the end that replay covers reaches the
    /// member live.
    /// </summary>
    internal RecoveringMember Add(RecoveringMember member)
    {
        ImmutableInterlocked.Update(ref _members, static (list, m) => list.Add(m), member);
        return member;
    }

    /// <returns>True when the group has no members left.</returns>
    internal bool Remove(RecoveringMember member)
    {
        ImmutableInterlocked.Update(ref _members, static (list, m) => list.Remove(m), member);
        return _members.IsEmpty;
    }

    /// <summary>A replayed message as this watch shows it, with its position; false when the watch does not show it.</summary>
    internal bool TryEncode(long offset, in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame) =>
        TryEncode(_log.EpochOf(Exchange), offset, delivery, out frame);

    private bool TryEncode(string epoch, long offset, in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        if (!_encoder(delivery, out var plain))
        {
            frame = default;
            return false;
        }

        frame = RecoveryFrames.WithPosition(plain.Span, new RecoveryPosition(epoch, offset).ToString());
        return true;
    }

    /// <summary>Lets the filtered group's live encoding finish what it holds (after the log subscription is gone).</summary>
    internal Task CompleteAsync() => _evaluation?.CompleteAsync() ?? Task.CompletedTask;

    private void OnLive(long offset, in BrokerDelivery delivery)
    {
        if (_evaluation is null)
        {
            Fan(offset, delivery);
            return;
        }

        if (_members.IsEmpty)
        {
            return;
        }

        // The body is the log's until this returns: the queued item keeps a copy.
        var copy = delivery with { Body = delivery.Body.ToArray() };
        _evaluation.Enqueue(() => Fan(offset, copy));
    }

    private void LetMembersGo()
    {
        if (Interlocked.Exchange(ref _overflowReported, 1) == 0)
        {
            ChannelLog.WatchFilterQueueFull(_logger, Key.Resource, Key.Params, _members.Length);
        }

        foreach (var member in _members)
        {
            member.Connection.Abort();
        }
    }

    private void Fan(long offset, in BrokerDelivery delivery)
    {
        var members = _members;
        if (members.IsEmpty)
        {
            return;
        }

        // Live frames come one at a time, in log order: a new epoch here means the stream was replaced, and its
        // offsets start over below what the members have seen.
        var epoch = _log.EpochOf(Exchange);
        if (epoch != _liveEpoch)
        {
            var previous = _liveEpoch;
            _liveEpoch = epoch;
            if (previous is not null)
            {
                foreach (var member in members)
                {
                    member.OnNewEpoch();
                }
            }
        }

        if (!TryEncode(epoch, offset, delivery, out var frame))
        {
            return;
        }

        foreach (var member in members)
        {
            member.OnLive(offset, frame);
        }
    }
}
