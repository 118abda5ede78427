using System.Collections.Immutable;
using Bridge.Broker;
using Bridge.Broker.Recovery;

namespace Bridge.Channels.Recovery;

/// <summary>
/// The connections of one recovering watch (same resource, same params) on this instance. Its live frames come
/// from the recovery log, not from the broker queue, so that each carries the log's offset as its position: one
/// live subscription per group, each message encoded once and positioned once, then handed to every member,
/// which sends it or holds it while its own replay runs (<see cref="RecoveringMember"/>).
/// </summary>
public sealed class RecoveringWatchGroup
{
    private readonly IRecoveryLog _log;
    private readonly RetainedFrameEncoder _encoder;
    private ImmutableArray<RecoveringMember> _members = [];

    public RecoveringWatchGroup(
        (string Resource, string Params) key,
        string exchange,
        string bindingKey,
        RetainedFrameEncoder encoder,
        IRecoveryLog log,
        Func<ValueTask>? onEnd = null)
    {
        Key = key;
        Exchange = exchange;
        BindingKey = bindingKey;
        _encoder = encoder;
        _log = log;
        OnEnd = onEnd;
    }

    public (string Resource, string Params) Key { get; }

    public string Exchange { get; }

    public string BindingKey { get; }

    public int MemberCount => _members.Length;

    internal IRecoveryLog Log => _log;

    internal IAsyncDisposable? Subscription { get; private set; }

    /// <summary>Runs when the group ends (the encoder's own resources).</summary>
    internal Func<ValueTask>? OnEnd { get; }

    internal async Task StartAsync(CancellationToken cancellationToken) =>
        Subscription = await _log.SubscribeAsync(Exchange, BindingKey, OnLive, cancellationToken);

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
    internal bool TryEncode(long offset, in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame)
    {
        if (!_encoder(delivery, out var plain))
        {
            frame = default;
            return false;
        }

        frame = RecoveryFrames.WithPosition(plain.Span, new RecoveryPosition(_log.Epoch, offset).ToString());
        return true;
    }

    private void OnLive(long offset, in BrokerDelivery delivery)
    {
        var members = _members;
        if (members.IsEmpty || !TryEncode(offset, delivery, out var frame))
        {
            return;
        }

        foreach (var member in members)
        {
            member.OnLive(offset, frame);
        }
    }
}
