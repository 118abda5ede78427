using System.Collections.Concurrent;
using Bridge.Observability;

namespace Bridge.Ledger;

/// <summary>
/// Which connections listen to which accounts, for routing a ledger event to its debit and credit accounts
/// (or a message's recipient) and to all-accounts listeners. The index only narrows the candidates; each
/// candidate's own <see cref="AccountSubscriptions"/> has the last word, so a stale index entry can never deliver
/// an event to a connection that did not ask for it.
/// </summary>
internal sealed class LedgerSubscriptions(BridgeMetrics metrics)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<LedgerRpcSession, byte>> _byAccount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<LedgerRpcSession, byte> _allAccounts = new();

    // Subscribing is rare next to routing: updates take this lock, routing reads the dictionaries without it.
    private readonly Lock _updates = new();

    /// <summary>Records that <paramref name="session"/> moved from <paramref name="previous"/> to <paramref name="current"/>.</summary>
    public void Update(LedgerRpcSession session, AccountSubscriptions previous, AccountSubscriptions current)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        lock (_updates)
        {
            Apply(session, previous, current);
        }

        if (current.Count != previous.Count)
        {
            metrics.Ledger.WatchesChanged("accounts", current.Count - previous.Count);
        }
    }

    private void Apply(LedgerRpcSession session, AccountSubscriptions previous, AccountSubscriptions current)
    {
        foreach (var account in current.Accounts.Keys)
        {
            _byAccount.GetOrAdd(account, static _ => new ConcurrentDictionary<LedgerRpcSession, byte>())[session] = 0;
        }

        foreach (var account in previous.Accounts.Keys)
        {
            if (!current.Accounts.ContainsKey(account))
            {
                RemoveFromAccount(account, session);
            }
        }

        if (current.AllAccounts.Count > 0)
        {
            _allAccounts[session] = 0;
        }
        else
        {
            _allAccounts.TryRemove(session, out _);
        }
    }

    public void Remove(LedgerRpcSession session, AccountSubscriptions current)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(current);
        Update(session, current, AccountSubscriptions.Empty);
    }

    /// <summary>Queues the event's frame (encoded once) to every connection that wants it, at most once each.</summary>
    /// <returns>How many connections it was queued to.</returns>
    public int Route(LedgerEvent ledgerEvent)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        HashSet<LedgerRpcSession>? candidates = null;
        foreach (var account in ledgerEvent.Accounts)
        {
            if (_byAccount.TryGetValue(account, out var sessions))
            {
                foreach (var session in sessions.Keys)
                {
                    (candidates ??= []).Add(session);
                }
            }
        }

        foreach (var session in _allAccounts.Keys)
        {
            (candidates ??= []).Add(session);
        }

        if (candidates is null)
        {
            return 0;
        }

        var sent = 0;
        foreach (var session in candidates)
        {
            if (session.Subscriptions.Wants(ledgerEvent) && session.Connection.TrySend(ledgerEvent.Frame))
            {
                sent++;
            }
        }

        return sent;
    }

    private void RemoveFromAccount(string account, LedgerRpcSession session)
    {
        if (_byAccount.TryGetValue(account, out var sessions) && sessions.TryRemove(session, out _) && sessions.IsEmpty)
        {
            // Under the update lock nobody can be adding to this entry, so dropping it loses nothing.
            _byAccount.TryRemove(account, out _);
        }
    }
}
