using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;

namespace Bridge.UnitTests.Channels;

public sealed class SnapshotMergeTests
{
    private static ReadOnlyMemory<byte> Item(string @event, string id, string? updatedAt) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["handler"] = "item",
            ["resource"] = "nodes",
            ["id"] = new JsonArray(@event, id),
            ["data"] = Doc(id, updatedAt),
        }.ToJsonString());

    private static ReadOnlyMemory<byte> Remove(string id) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["handler"] = "remove", ["resource"] = "nodes", ["id"] = id, ["data"] = Doc(id, null) }.ToJsonString());

    private static JsonObject Doc(string id, string? updatedAt) => updatedAt is null ? new() { ["id"] = id } : new() { ["id"] = id, ["updatedAt"] = updatedAt };

    private static List<string> Kept(IReadOnlyList<JsonObject> snapshot, params ReadOnlyMemory<byte>[] held) =>
        [.. SnapshotMerge.Unreflected(snapshot, "id", held).Select(f => Encoding.UTF8.GetString(f.Span))];

    [Fact]
    public void Update_AlreadyInTheSnapshot_IsDropped_NewerOneIsKept()
    {
        var reflected = Item("updated", "a", "2030-01-01T00:00:02.000Z");
        var newer = Item("updated", "b", "2030-01-01T00:00:03.000Z");

        var kept = Kept([Doc("a", "2030-01-01T00:00:02.000Z"), Doc("b", "2030-01-01T00:00:01.000Z")], reflected, newer);

        Assert.Equal([Encoding.UTF8.GetString(newer.Span)], kept);
    }

    [Fact]
    public void Remove_OfADocumentNotInTheSnapshot_IsDropped_UnlessCreatedAfterIt()
    {
        var goneBefore = Remove("x");
        var created = Item("created", "y", "2030-01-01T00:00:01.000Z");
        var removedAfter = Remove("y");

        var kept = Kept([], goneBefore, created, removedAfter);

        Assert.Equal([Encoding.UTF8.GetString(created.Span), Encoding.UTF8.GetString(removedAfter.Span)], kept);
    }

    [Fact]
    public void Change_WithoutUpdatedAt_IsKept()
    {
        var change = Item("updated", "a", null);

        Assert.Single(Kept([Doc("a", null)], change));
    }
}
