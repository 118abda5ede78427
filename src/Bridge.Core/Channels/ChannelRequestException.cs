namespace Bridge.Channels;

/// <summary>A request the channel front refuses; becomes an <c>error</c> reply and never ends the connection.</summary>
public sealed class ChannelRequestException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
