using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// The ledger JSON-RPC front (<c>/websocket</c>) under generated hostile requests (issue 11): every request gets
/// exactly one well-formed JSON-RPC answer with a documented code, within a second; the connection stays usable;
/// the heap returns near its baseline. Runs on the embedded defaults.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class LedgerFuzzTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const int Seed = 11_2026;
    private const int MaxMessageBytes = 60 * 1024;
    private const string Alice = LedgerBridgeFixture.LedgerBase + "/accounts/alice";

    // The contract's codes for what a client sent; 50000 only as five-bells' TypeError for absent params.
    private static readonly HashSet<int> DocumentedCodes = [-32700, -32600, -32601, -32602, 40000, 40001, 40002, 40300];

    private static readonly string[] Templates =
    [
        $$$"""{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Alice}}}"]}}""",
        """{"jsonrpc":"2.0","id":"a","method":"subscribe_account","params":{"eventType":"transfer.*","accounts":[]}}""",
        $$$"""{"jsonrpc":"2.0","id":2.5,"method":"subscribe_account","params":{"accounts":["{{{Alice}}}","{{{LedgerBridgeFixture.LedgerBase}}}/accounts/ALICE"]}}""",
        """{"jsonrpc":"2.0","id":3,"method":"subscribe_all_accounts","params":{"eventType":"*"}}""",
        $$$"""{"jsonrpc":"2.0","id":4,"method":"unsubscribe_account","params":{"accounts":["{{{Alice}}}"]}}""",
        """{"jsonrpc":"2.0","id":5,"method":"unsubscribe_all_accounts"}""",
        $$$"""{"jsonrpc":"2.0","id":6,"method":"subscribe_account","params":{"eventType":"message.send","accounts":["{{{LedgerBridgeFixture.LedgerBase}}}/accounts/bob"]}}""",
        """{"jsonrpc":"2.0","id":null,"method":"subscribe_account","params":{}}""",
        """{"jsonrpc":"2.0","id":7,"method":"subscribe_account","params":[]}""",
        """{"jsonrpc":"2.0","id":8,"method":"no_such_method","params":{"x":[1,2,{"y":null}]}}""",
    ];

    [Theory]
    [InlineData("alice")]
    [InlineData("admin")]
    public async Task HostileRequests_EachGetsOneDocumentedAnswer_InTime_AndTheConnectionStaysUsable(string account)
    {
        var generator = new HostileMessages(Seed + account.Length, Templates, MaxMessageBytes);
        var random = new Random(Seed);
        await using var socket = await ConnectAsync(account);
        var failures = new List<string>();
        long baseline = 0;
        var count = account == "admin" ? FuzzBudget.MessagesPerFront / 2 : FuzzBudget.MessagesPerFront;

        for (var i = 0; i < count && failures.Count < 20; i++)
        {
            if (i == 200)
            {
                baseline = FuzzBudget.SettledHeapBytes();
            }

            var message = generator.Next();
            var type = message.Kind == HostileMessages.InvalidUtf8 || random.Next(50) == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
            var fragments = random.Next(20) == 0 ? 2 + random.Next(4) : 1;

            var clock = Stopwatch.StartNew();
            await socket.SendAsync(message.Bytes, type, fragments);
            var (frame, closed) = await socket.ReceiveAsync(FuzzBudget.MissingAfter);
            var elapsed = clock.Elapsed;
            if (frame is null)
            {
                Assert.Fail($"#{i} ({message.Kind}, {type}): {(closed ? $"the server closed the connection ({socket.CloseStatus})" : "no answer")} to {message.Preview}");
            }

            if (elapsed > FuzzBudget.AnswerTime)
            {
                failures.Add($"#{i} ({message.Kind}): answered in {elapsed.TotalMilliseconds:F0} ms: {message.Preview}");
            }

            if (Problem(frame) is { } problem)
            {
                failures.Add($"#{i} ({message.Kind}, {type}): {problem} for {message.Preview}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures (first 20):\n{string.Join('\n', failures)}");

        // Still usable: a valid request gets its result.
        await socket.SendAsync(Encoding.UTF8.GetBytes($$$"""{"jsonrpc":"2.0","id":"last","method":"subscribe_account","params":{"eventType":"*","accounts":["{{{Alice}}}"]}}"""));
        var (last, _) = await socket.ReceiveAsync(FuzzBudget.MissingAfter);
        Assert.Equal("""{"jsonrpc":"2.0","id":"last","result":1}""", last is null ? null : Encoding.UTF8.GetString(last));

        var growth = FuzzBudget.SettledHeapBytes() - baseline;
        Assert.True(growth < FuzzBudget.MemoryGrowthBytes, $"the heap grew by {growth / 1024 / 1024} MB over the run");
    }

    private async Task<FuzzSocket> ConnectAsync(string account)
    {
        var socket = await FuzzSocket.ConnectAsync(fixture.Host.WebSocketUri($"/websocket?token={Uri.EscapeDataString(await fixture.TokenAsync(account))}"));
        var (connect, _) = await socket.ReceiveAsync(FuzzBudget.MissingAfter);
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"method":"connect"}""", connect is null ? null : Encoding.UTF8.GetString(connect));
        return socket;
    }

    /// <summary>What is wrong with an answer, or null when it is a well-formed JSON-RPC response with a documented outcome.</summary>
    internal static string? Problem(byte[] frame)
    {
        JsonObject answer;
        try
        {
            answer = JsonNode.Parse(frame) as JsonObject ?? throw new FormatException("not an object");
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException)
        {
            return $"an answer that is not a JSON object: {Encoding.UTF8.GetString(frame)}";
        }

        var text = answer.ToJsonString();
        if ((string?)answer["jsonrpc"] != "2.0" || !answer.ContainsKey("id") || answer.ContainsKey("result") == answer.ContainsKey("error"))
        {
            return $"not a JSON-RPC response: {text}";
        }

        if (answer["result"] is { } result)
        {
            return result is JsonValue value && value.TryGetValue<int>(out _) ? null : $"a result that is not a count: {text}";
        }

        var error = answer["error"] as JsonObject;
        var code = error?["code"] is JsonValue c && c.TryGetValue<int>(out var number) ? number : (int?)null;
        var name = (string?)error?["data"]?["name"];
        var detail = (string?)error?["data"]?["message"];
        if (code is null || name is null || detail is null || (string?)error!["message"] != $"{name}: {detail}")
        {
            return $"a malformed error: {text}";
        }

        var absentParams = code == 50000 && name == "TypeError" && detail.StartsWith("Cannot read properties of undefined (reading '", StringComparison.Ordinal);
        if (!DocumentedCodes.Contains(code.Value) && !absentParams)
        {
            return $"an undocumented or internal error: {text}";
        }

        return code is -32700 or -32600 && answer["id"] is not null ? $"a {code} that echoes an id: {text}" : null;
    }
}
