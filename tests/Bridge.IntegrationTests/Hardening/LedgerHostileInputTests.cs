using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Hardening;

/// <summary>The ledger socket's answers to the attacks of issue 11, items 1 and 2, each pinned on its own.</summary>
public sealed class LedgerHostileInputTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const string Alice = LedgerBridgeFixture.LedgerBase + "/accounts/alice";

    /// <summary>Issue 11, item 1: this frame (64 094 bytes, under the frame limit) overflowed the stack and killed the process.</summary>
    [Fact]
    public async Task DeeplyNestedAccounts_InA64KbFrame_AreAnsweredWithAParseError_AndTheProcessLives()
    {
        await using var socket = await fixture.ConnectAsync("alice");
        var frame = """{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["""
            + new string('[', 32_000) + new string(']', 32_000) + "]}}";
        Assert.Equal(64_094, frame.Length);

        var answer = JsonNode.Parse(await socket.RequestAsync(frame))!;

        Assert.Equal(-32700, (int)answer["error"]!["code"]!);
        Assert.Null(answer["id"]);
        Assert.Equal("SyntaxError", (string?)answer["error"]!["data"]!["name"]);
        Assert.Contains("nested deeper than 32 levels", (string?)answer["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync(socket);
    }

    [Fact]
    public async Task NestingAtTheLimit_IsStillRead()
    {
        await using var socket = await fixture.ConnectAsync("alice");

        // 32 levels in all: the request object, params, accounts and 29 arrays inside it.
        var frame = """{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["""
            + new string('[', 29) + new string(']', 29) + "]}}";
        var answer = JsonNode.Parse(await socket.RequestAsync(frame))!;

        // five-bells' answer: the nested arrays join to "" as JavaScript strings, not an account of this ledger.
        Assert.Equal(40002, (int)answer["error"]!["code"]!);
        Assert.Equal("RpcError: Invalid account: ", (string?)answer["error"]!["message"]);
    }

    /// <summary>Issue 11, item 2: an unpaired surrogate in the id got no answer at all (the error reply itself failed to serialize).</summary>
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":"\ud800","method":"subscribe_account","params":{"eventType":"*","accounts":[]}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"a\udc00","method":"nope"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_\ud800account","params":{"eventType":"*","accounts":[]}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["http://localhost:3100/accounts/\udbff"]}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"\ud83d","accounts":[]}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","\ud800":1}""")]
    public async Task UnpairedSurrogates_AreAParseError_WithIdNull(string request)
    {
        await using var socket = await fixture.ConnectAsync("alice");

        var answer = JsonNode.Parse(await socket.RequestAsync(request))!;

        Assert.Equal(-32700, (int)answer["error"]!["code"]!);
        Assert.Null(answer["id"]);
        Assert.Contains("unpaired surrogate", (string?)answer["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync(socket);
    }

    [Fact]
    public async Task APairedSurrogateEscape_IsText_AndIsEchoed()
    {
        await using var socket = await fixture.ConnectAsync("alice");

        var answer = await socket.RequestAsync("""{"jsonrpc":"2.0","id":"\ud83d\ude00","method":"subscribe_account","params":{"eventType":"*","accounts":[]}}""");

        var parsed = JsonNode.Parse(answer)!;
        Assert.Equal("😀", (string?)parsed["id"]);
        Assert.Equal(0, (int)parsed["result"]!);
    }

    /// <summary>Issue 11, item 2: duplicate keys are refused at parse time, whichever member they repeat.</summary>
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"id":2,"method":"subscribe_account","params":{"eventType":"*","accounts":[]}}""", "id")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","method":"x","params":{"eventType":"*","accounts":[]}}""", "method")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":[],"accounts":["x"]}}""", "accounts")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","\u0065ventType":"x","accounts":[]}}""", "eventType")]
    public async Task DuplicateKeys_AreAParseError_NamingTheKey(string request, string key)
    {
        await using var socket = await fixture.ConnectAsync("alice");

        var answer = JsonNode.Parse(await socket.RequestAsync(request))!;

        Assert.Equal(-32700, (int)answer["error"]!["code"]!);
        Assert.Null(answer["id"]);
        Assert.Contains($"the property '{key}' appears twice", (string?)answer["error"]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextV8WouldRefuse_StillGetsV8sMessage()
    {
        await using var socket = await fixture.ConnectAsync("alice");

        var answer = JsonNode.Parse(await socket.RequestAsync("this is not json"))!;

        Assert.Equal("SyntaxError: Unexpected token 'h', \"this is not json\" is not valid JSON", (string?)answer["error"]!["message"]);
    }

    private static async Task AssertStillServesAsync(LedgerSocket socket) =>
        Assert.Equal("""{"jsonrpc":"2.0","id":2,"result":1}""",
            await socket.RequestAsync($$$"""{"jsonrpc":"2.0","id":2,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Alice}}}"]}}"""));
}
