namespace Bridge.Client.Ledger;

/// <summary>A connection ended; <see cref="WillReconnect"/> false when the client gave up (e.g. <c>/auth_token</c> refused the password) or must not reconnect.</summary>
public sealed class LedgerDisconnectedEventArgs(Exception? error, bool willReconnect) : EventArgs
{
    /// <summary>Why the connection ended or the reconnection stopped; null when the server closed it cleanly.</summary>
    public Exception? Error { get; } = error;

    public bool WillReconnect { get; } = willReconnect;
}
