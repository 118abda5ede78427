namespace Bridge.Client.Channels;

/// <summary>The connection dropped while a request waited for its reply: the server may or may not have handled it.</summary>
public sealed class ChannelDisconnectedException : Exception
{
    public ChannelDisconnectedException()
        : base("the channel connection closed before the reply arrived")
    {
    }

    public ChannelDisconnectedException(string message)
        : base(message)
    {
    }

    public ChannelDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
