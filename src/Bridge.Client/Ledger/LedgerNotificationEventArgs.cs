namespace Bridge.Client.Ledger;

public sealed class LedgerNotificationEventArgs(LedgerNotification notification) : EventArgs
{
    public LedgerNotification Notification { get; } = notification;
}
