namespace Bridge.Client.Channels;

public sealed class ChannelSessionEventArgs(Guid sessionId) : EventArgs
{
    public Guid SessionId { get; } = sessionId;
}
