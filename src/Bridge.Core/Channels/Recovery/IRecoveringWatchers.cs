using Bridge.Connections;

namespace Bridge.Channels.Recovery;

/// <summary>
/// Who holds a recovering watch (issue 16 §1), for fronts that push to every connection of a channel (the
/// notifications push): such a connection gets its frames, with positions, from the recovery log instead.
/// </summary>
public interface IRecoveringWatchers
{
    bool IsWatching(WebSocketConnection connection, string resource);
}
