namespace Bridge.Ledger;

/// <summary>
/// What one connection has subscribed to: account names (lower case) with their event type, and the event
/// types of its all-accounts subscriptions. Immutable: a session swaps in a new set, the broker's dispatch
/// thread reads whichever set is current, and no lock is shared between them.
/// </summary>
internal sealed record AccountSubscriptions(IReadOnlyDictionary<string, string> Accounts, IReadOnlyList<string> AllAccounts)
{
    public static AccountSubscriptions Empty { get; } = new(new Dictionary<string, string>(), []);

    public int Count => Accounts.Count + AllAccounts.Count;

    public bool Wants(LedgerEvent ledgerEvent)
    {
        ArgumentNullException.ThrowIfNull(ledgerEvent);
        foreach (var eventType in AllAccounts)
        {
            if (EventTypeMatches(eventType, ledgerEvent.EventName))
            {
                return true;
            }
        }

        foreach (var account in ledgerEvent.Accounts)
        {
            if (Accounts.TryGetValue(account, out var eventType) && EventTypeMatches(eventType, ledgerEvent.EventName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>*</c>, the exact event name, or a prefix wildcard such as <c>transfer.*</c>.</summary>
    public static bool EventTypeMatches(string eventType, string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(eventName);
        return eventType == "*"
            || string.Equals(eventType, eventName, StringComparison.Ordinal)
            || (eventType.EndsWith(".*", StringComparison.Ordinal)
                && eventName.Length > eventType.Length - 1
                && eventName.AsSpan().StartsWith(eventType.AsSpan(0, eventType.Length - 1), StringComparison.Ordinal));
    }
}
