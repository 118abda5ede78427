namespace Bridge.Client.Channels;

/// <summary>Raised after every (re)connection once the session is known and every active watch has been re-sent.</summary>
public sealed class ChannelReadyEventArgs(Guid sessionId, bool isReconnect, int watchesRestored) : EventArgs
{
    public Guid SessionId { get; } = sessionId;

    public bool IsReconnect { get; } = isReconnect;

    public int WatchesRestored { get; } = watchesRestored;
}
