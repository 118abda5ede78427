using System.Text;
using System.Text.Json.Nodes;
using Bridge.Channels;
using Bridge.Notifications;

namespace Bridge.UnitTests.Notifications;

/// <summary>The notifications <c>list</c> reply is written by the same frame writer as every other frame (issue 13).</summary>
public sealed class NotificationListFrameTests
{
    private static JsonObject Item() => new()
    {
        ["id"] = "tx-<1>",
        ["message"] = "déployé & 'fertig' + <ok>",
    };

    [Fact]
    public void ListFrame_EscapesLikeTheOtherChannelFrames()
    {
        var frame = Encoding.UTF8.GetString(NotificationsChannelResource.ListFrame("notifications", new HistoryPage([Item()], Next: null)).Span);
        var channelList = Encoding.UTF8.GetString(ChannelFrames.List("notifications", [Item()]).Span);

        Assert.Contains("\"message\":\"déployé & 'fertig' + <ok>\"", frame, StringComparison.Ordinal);
        Assert.Equal(channelList[..^1] + ",\"next\":null}", frame);
    }

    [Fact]
    public void ListFrame_CarriesTheCursor()
    {
        var frame = JsonNode.Parse(NotificationsChannelResource.ListFrame("notifications", new HistoryPage([Item()], Next: "c-1")).Span)!;

        Assert.Equal("list", (string?)frame["handler"]);
        Assert.Equal("c-1", (string?)frame["next"]);
        Assert.Equal("tx-<1>", (string?)frame["items"]![0]!["id"]);
    }
}
