using System.Collections.Concurrent;
using Bridge.Broker.Recovery;
using Bridge.Connections;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Channels.Recovery;

/// <summary>
/// The recovering watches of the whole instance (issue 16 §1), beside <see cref="WatchRegistry"/>: connections
/// watching the same thing with <c>"recover": true</c> share a <see cref="RecoveringWatchGroup"/> and its live
/// subscription to the recovery log; the group goes with its last member.
/// </summary>
internal sealed class RecoveringWatchRegistry(IRecoveryLog log, IOptions<RecoveryOptions> options, BridgeMetrics metrics) : IRecoveringWatchers
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Resource, string Params), RecoveringWatchGroup> _groups = [];
    private readonly ConcurrentDictionary<(WebSocketConnection Connection, string Resource), int> _watching = new();

    public IRecoveryLog Log => log;

    internal FrontMetrics Metrics => metrics.Channels;

    public int GroupCount
    {
        get
        {
            lock (_groups)
            {
                return _groups.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="connection"/> has a recovering watch on <paramref name="resource"/> (its frames come from there, not from a broadcast).</summary>
    public bool IsWatching(WebSocketConnection connection, string resource) => _watching.ContainsKey((connection, resource));

    /// <summary>
    /// Adds the connection to the group for <paramref name="key"/> (created with <paramref name="createGroup"/> when new),
    /// holding its live frames when <paramref name="hold"/>.
    /// </summary>
    /// <exception cref="Bridge.Broker.BrokerUnavailableException">The log cannot take a subscription now.</exception>
    public async ValueTask<RecoveringMember> JoinAsync(
        (string Resource, string Params) key,
        Func<RecoveringWatchGroup> createGroup,
        WebSocketConnection connection,
        bool hold,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createGroup);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_groups.TryGetValue(key, out var group))
            {
                group = createGroup();
                try
                {
                    await group.StartAsync(cancellationToken);
                }
                catch
                {
                    await EndAsync(group);
                    throw;
                }

                lock (_groups)
                {
                    _groups.Add(key, group);
                }
            }

            var member = group.Add(new RecoveringMember(group, connection, hold, options.Value) { Registry = this });
            _watching.AddOrUpdate((connection, key.Resource), 1, static (_, count) => count + 1);
            return member;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the member (stopping its replay); the group and its subscription go with the last one.</summary>
    public async ValueTask LeaveAsync(RecoveringMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        await member.StopAsync();
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            var slot = (member.Connection, member.Group.Key.Resource);
            if (_watching.AddOrUpdate(slot, 0, static (_, count) => count - 1) <= 0)
            {
                _watching.TryRemove(slot, out _);
            }

            if (!member.Group.Remove(member))
            {
                return;
            }

            lock (_groups)
            {
                _groups.Remove(member.Group.Key);
            }

            await EndAsync(member.Group);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task EndAsync(RecoveringWatchGroup group)
    {
        try
        {
            if (group.LogSubscription is { } subscription)
            {
                await subscription.DisposeAsync();
            }
        }
        finally
        {
            // No live message can arrive any more: let a filtered group's encoding finish what it holds.
            await group.CompleteAsync();
            if (group.OnEnd is { } onEnd)
            {
                await onEnd();
            }
        }
    }
}
