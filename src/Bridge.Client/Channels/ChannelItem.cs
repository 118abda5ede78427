using System.Text.Json.Nodes;

namespace Bridge.Client.Channels;

/// <summary>
/// <c>{"handler":"item","resource":R,"id":ID,"data":{...}}</c>. On a collection watch <see cref="Id"/> is
/// <c>["created"|"updated"|..., "&lt;id&gt;"]</c>; on <c>mq</c> it is the routing key; from <c>get</c> it is the document id.
/// </summary>
public sealed record ChannelItem(string Resource, JsonNode? Id, JsonNode? Data) : ChannelEvent(Resource)
{
    /// <summary>The frame's <c>position</c> on a recovering watch (opaque), or null.</summary>
    public string? Position { get; init; }

    /// <summary>The waterline event of a collection watch item (<c>created</c>, <c>updated</c>, ...), or null.</summary>
    public string? ChangeKind => Id is JsonArray { Count: 2 } pair ? pair[0]?.GetValue<string>() : null;

    /// <summary>The document id whatever the shape of <see cref="Id"/> (the second element of a waterline pair).</summary>
    public string? DocumentId => Id switch
    {
        JsonArray { Count: 2 } pair => pair[1]?.ToString(),
        JsonValue value => value.ToString(),
        _ => null,
    };
}
