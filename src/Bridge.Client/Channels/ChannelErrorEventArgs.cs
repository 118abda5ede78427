namespace Bridge.Client.Channels;

/// <summary>An <c>error</c> no pending request was waiting for (e.g. a refused <c>watch</c>, which has no success reply).</summary>
public sealed class ChannelErrorEventArgs(ChannelErrorException error) : EventArgs
{
    public ChannelErrorException Error { get; } = error;
}
