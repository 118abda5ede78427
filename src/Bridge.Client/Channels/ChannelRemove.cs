using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary><c>{"handler":"remove","resource":R,"id":ID,"data":{...}}</c>: a destroyed document (or a <c>get</c> that found nothing).</summary>
public sealed record ChannelRemove(string Resource, JsonNode? Id, JsonNode? Data) : ChannelEvent(Resource)
{
    /// <summary>The frame's <c>position</c> on a recovering watch (opaque), or null.</summary>
    public string? Position { get; init; }
}
