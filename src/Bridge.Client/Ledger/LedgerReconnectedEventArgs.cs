namespace Bridge.Client.Ledger;

/// <summary>Raised after a reconnection, once the subscription calls were re-sent.</summary>
public sealed class LedgerReconnectedEventArgs(int subscriptionsRestored) : EventArgs
{
    /// <summary>How many subscription calls were replayed (<c>subscribe_account</c> counts once, whatever its number of accounts).</summary>
    public int SubscriptionsRestored { get; } = subscriptionsRestored;
}
