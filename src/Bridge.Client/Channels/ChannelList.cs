using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary><c>{"handler":"list","resource":R,"items":[...]}</c>: the answer to <c>all</c> and <c>query</c>.</summary>
public sealed record ChannelList(string Resource, IReadOnlyList<JsonObject> Items) : ChannelEvent(Resource);
