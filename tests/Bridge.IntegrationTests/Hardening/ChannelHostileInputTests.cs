using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Hardening;

/// <summary>The channel front's answers to the attacks of issue 11, items 1 and 2, each pinned on its own.</summary>
public sealed class ChannelHostileInputTests(EmbeddedBridgeFixture fixture) : IClassFixture<EmbeddedBridgeFixture>
{
    /// <summary>Issue 11, item 2: these got <c>internal_error</c>.</summary>
    [Theory]
    [InlineData("""{"handler":"\ud800"}""")]
    [InlineData("""{"handler":"init","resource":"\udc00"}""")]
    [InlineData("""{"handler":"watch","resource":"mq","params":{"exchange":"on.events","routingKey":"\ud800"}}""")]
    [InlineData("""{"handler":"watch","params":{"node":"\ud800"}}""")]
    [InlineData("""{"handler":"stop","params":{"node":"\ud800x"}}""")]
    [InlineData("""{"handler":"query","params":{"\udbff":1}}""")]
    public async Task UnpairedSurrogates_AreInvalidJson(string message)
    {
        await using var client = await ChannelClient.ConnectAsync(fixture.WebSocketUri("/catalogs"));

        await client.SendTextAsync(message);
        var answer = await client.ReceiveAsync();

        AssertError(answer, "invalid_json", "unpaired surrogate");
        await AssertStillServesAsync(client);
    }

    /// <summary>Issue 11, item 2: <c>{"handler":"init","handler":"all"}</c> got <c>internal_error</c>.</summary>
    [Theory]
    [InlineData("""{"handler":"init","handler":"all"}""", "handler")]
    [InlineData("""{"handler":"query","params":{"a":1,"a":2}}""", "a")]
    [InlineData("""{"handler":"watch","params":{"node":"x","n\u006fde":"y"}}""", "node")]
    [InlineData("""{"handler":"stop","resource":"mq","resource":"nodes"}""", "resource")]
    public async Task DuplicateKeys_AreInvalidJson_NamingTheKey(string message, string key)
    {
        await using var client = await ChannelClient.ConnectAsync(fixture.WebSocketUri("/catalogs"));

        await client.SendTextAsync(message);

        AssertError(await client.ReceiveAsync(), "invalid_json", $"the property '{key}' appears twice");
        await AssertStillServesAsync(client);
    }

    /// <summary>Issue 11, item 1: no parser may be driven to unbounded depth.</summary>
    [Theory]
    [InlineData(33)]
    [InlineData(30_000)]
    public async Task NestingDeeperThanTheLimit_IsInvalidJson(int depth)
    {
        await using var client = await ChannelClient.ConnectAsync(fixture.WebSocketUri("/catalogs"));

        await client.SendTextAsync("""{"handler":"query","params":{"a":""" + new string('[', depth) + new string(']', depth) + "}}");

        AssertError(await client.ReceiveAsync(), "invalid_json", "nested deeper than 32 levels");
        await AssertStillServesAsync(client);
    }

    [Fact]
    public async Task ASnapshotFlagThatIsNotABoolean_IsInvalidMessage()
    {
        await using var client = await ChannelClient.ConnectAsync(fixture.WebSocketUri("/catalogs"));

        await client.SendTextAsync("""{"handler":"watch","params":{"node":"x"},"snapshot":"yes"}""");

        AssertError(await client.ReceiveAsync(), "invalid_message", "'snapshot' must be true or false");
    }

    private static void AssertError(JsonObject answer, string code, string messagePart)
    {
        Assert.Equal("error", (string?)answer["handler"]);
        Assert.Equal(code, (string?)answer["params"]!["code"]);
        Assert.Contains(messagePart, (string?)answer["params"]!["message"], StringComparison.Ordinal);
    }

    private static async Task AssertStillServesAsync(ChannelClient client) => Assert.Empty(await client.SyncAsync());
}
