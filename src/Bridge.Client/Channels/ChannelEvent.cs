namespace Bridge.Client.Channels;

/// <summary>A reply or watch event of the MonoRail channel protocol, typed by its <c>handler</c>.</summary>
public abstract record ChannelEvent(string Resource);
