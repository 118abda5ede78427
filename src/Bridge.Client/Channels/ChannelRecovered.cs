using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary>
/// <c>{"handler":"recovered","resource":R,"params":P,"recovered":B,"missed":N}</c>: after a reconnection, the
/// watch's replay is done. <see cref="Recovered"/> true: the <see cref="Missed"/> events before this one were
/// those published while disconnected, and nothing was lost. False: the bridge could not fill the gap (the
/// position was too old, or of another deployment): resynchronise (a snapshot watch got a fresh list first).
/// </summary>
public sealed record ChannelRecovered(string Resource, JsonObject? Parameters, bool Recovered, long Missed) : ChannelEvent(Resource);
