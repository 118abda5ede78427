using System.Text.Json.Nodes;
using Bridge.Connections;

namespace Bridge.Channels;

/// <summary>
/// A resource that another area of the bridge serves on the channel front with handlers of its own (the
/// notifications history answers <c>query</c> with pages and a cursor, not with a collection scan). Register
/// implementations as <c>IChannelResource</c> singletons: the resource table learns the name from
/// <see cref="Definition"/>, and the router offers each request on the resource to
/// <see cref="TryHandleAsync"/> before its own handling.
/// </summary>
public interface IChannelResource
{
    ResourceDefinition Definition { get; }

    /// <summary>
    /// Handles <paramref name="handler"/> (<c>query</c>, <c>all</c>, <c>get</c>, <c>watch</c> or <c>stop</c>),
    /// replying on <paramref name="connection"/>; returns false to leave it to the router's default handling.
    /// Throw <see cref="ChannelRequestException"/> (or <c>InvalidFilterException</c>) to refuse with an error reply.
    /// </summary>
    ValueTask<bool> TryHandleAsync(WebSocketConnection connection, string handler, JsonNode? parameters, CancellationToken cancellationToken);
}
