namespace Bridge.Client.Ledger;

/// <summary>The ledger connection ended while a request or the handshake waited.</summary>
public sealed class LedgerDisconnectedException : Exception
{
    public LedgerDisconnectedException()
        : base("the ledger connection closed")
    {
    }

    public LedgerDisconnectedException(string message)
        : base(message)
    {
    }

    public LedgerDisconnectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
