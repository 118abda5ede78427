using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary>
/// <c>{"handler":"recovered","resource":R,"params":P,"recovered":B,"missed":N}</c>: after a reconnection, the
/// watch's replay is done. <see cref="Recovered"/> true: the <see cref="Missed"/> events before this one were
/// those published while disconnected, and nothing was lost. False: the bridge could not fill the gap (the
/// position was too old, or of another deployment): resynchronise (a snapshot watch got a fresh list first).
/// </summary>
public sealed record ChannelRecovered(string Resource, JsonObject? Parameters, bool Recovered, long Missed) : ChannelEvent(Resource)
{
    /// <summary>
    /// False when the bridge cannot recover this watch at all (it answered <c>not_supported</c> to <c>"recover"</c>,
    /// e.g. for an exchange it does not retain): the client then watches without recovery, so what is published
    /// while it is disconnected is lost; this event says so once, with <see cref="Recovered"/> false.
    /// </summary>
    public bool RecoverySupported { get; init; } = true;
}
