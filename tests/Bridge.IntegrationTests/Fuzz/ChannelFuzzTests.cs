using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// The MonoRail channel front under generated hostile messages (issue 11): every message gets a well-formed
/// answer of a documented kind (never <c>internal_error</c>) within a second, the connection stays usable,
/// and the heap returns near its baseline. Runs on the embedded defaults.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class ChannelFuzzTests(EmbeddedBridgeFixture fixture) : IClassFixture<EmbeddedBridgeFixture>
{
    private const int Seed = 20261202;
    private const int MaxMessageBytes = 60 * 1024;

    // Every code a client may be answered with for something it sent (contract "Replies"), internal_error excluded.
    private static readonly HashSet<string> DocumentedCodes =
    [
        "invalid_json", "invalid_message", "missing_handler", "unknown_handler", "unknown_resource", "invalid_params",
        "invalid_filter", "not_supported", "exchange_not_allowed", "too_many_watches", "not_authorized",
    ];

    private static readonly string[] Templates =
    [
        """{"handler":"init"}""",
        """{"handler":"all"}""",
        """{"handler":"all","params":{"limit":5,"skip":1}}""",
        """{"handler":"query","params":{"node":"abc"}}""",
        """{"handler":"query","resource":"nodes","params":{"where":{"name":{"$regex":"^n","$options":"i"}},"limit":3,"skip":0,"sort":{"name":-1}}}""",
        """{"handler":"query","resource":"nodes","params":{"sort":"name DESC, id","limit":2}}""",
        """{"handler":"query","params":{"$or":[{"source":"dmi"},{"source":{"$in":["ohai","lshw"]}}]}}""",
        """{"handler":"query","params":{"createdAt":{"$gt":"2020","$lte":"2030"},"id":{"$ne":"x"},"n":{"$gte":1,"$lt":9}}}""",
        """{"handler":"query","params":{"data":{"$exists":true},"$and":[{"a":{"$not":{"$gt":5}}}],"$nor":[{"b":{"$nin":[1,2]}}],"c.d":{"$eq":[1,{"e":null}]}}}""",
        """{"handler":"get","params":{"id":"x"}}""",
        """{"handler":"get","resource":"graphObjs","params":{"instanceId":"abc"}}""",
        """{"handler":"watch","params":{"node":"n1"}}""",
        """{"handler":"watch","resource":"nodes","params":{"id":"n1"},"snapshot":true}""",
        """{"handler":"watch","resource":"mq","params":{"exchange":"on.events","routingKey":"graph.#"}}""",
        """{"handler":"stop","resource":"mq","params":{"exchange":"on.events","routingKey":"graph.#"}}""",
        """{"handler":"stop","params":{"node":"n1"}}""",
        """{"handler":"stop"}""",
        """{"handler":"query","type":"workflows"}""",
        """{"handler":"watch","resource":"workflows"}""",
        """{"handler":"query","resource":"notifications","params":{"limit":5,"status":"error"}}""",
    ];

    private static readonly string[] Operators =
    [
        "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options", "$not", "$and", "$or", "$nor",
        "$where", "$function", "$expr", "$accumulator", "$jsonSchema", "$elemMatch", "$size", "$",
    ];

    private static readonly string[] BadOperands =
    [
        "null", "true", "0", "-1", "1e400", "\"\"", "\"(a+)+$\"", "\"[\"", "\"\\ud800\"", "{}", "[]", "[{}]", "[[]]", "[null]",
        "{\"$gt\":1}", "{\"a\":1}", "[\"$where\"]", "{\"$where\":\"1\"}", "\"" + new string('a', 600) + "\"", "[1,\"a\",{}]",
        "{\"$regex\":\"x\",\"$options\":\"q\"}", "{\"$not\":{\"$not\":{}}}", "\"imsxz\"",
    ];

    [Fact]
    public async Task HostileMessages_EveryOneGetsADocumentedAnswer_InTime_AndTheConnectionStaysUsable()
    {
        var generator = new HostileMessages(Seed, Templates, MaxMessageBytes);
        var random = new Random(Seed);
        await using var socket = await FuzzSocket.ConnectAsync(fixture.WebSocketUri("/catalogs"));
        var failures = new List<string>();
        var kinds = new Dictionary<string, int>();
        long baseline = 0;
        var slowest = TimeSpan.Zero;

        for (var i = 0; i < FuzzBudget.MessagesPerFront && failures.Count < 20; i++)
        {
            if (i == 200)
            {
                baseline = FuzzBudget.SettledHeapBytes();
            }

            // One in ten is a filter operator with a bad operand; the rest come from the generator.
            var message = i % 10 == 9 ? FilterCase(random) : generator.Next();
            var type = WebSocketMessageType.Text;
            if (message.Kind == HostileMessages.InvalidUtf8 || random.Next(50) == 0)
            {
                // Invalid UTF-8 in a text frame fails the connection by RFC 6455 (InvalidUtf8TextFrames covers it); as binary it is a message.
                type = WebSocketMessageType.Binary;
            }

            var fragments = random.Next(20) == 0 ? 2 + random.Next(4) : 1;
            kinds[message.Kind] = kinds.GetValueOrDefault(message.Kind) + 1;

            // Messages of a connection are answered in order: the marker's own answer (an unknown_resource error
            // naming it) closes the answers to the message, whatever their number.
            var marker = $"fuzz-marker-{i}";
            var clock = Stopwatch.StartNew();
            await socket.SendAsync(message.Bytes, type, fragments);
            await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"handler":"get","resource":"{{marker}}"}"""));
            var answers = new List<JsonObject>();
            while (true)
            {
                var (frame, closed) = await socket.ReceiveAsync(FuzzBudget.MissingAfter);
                if (frame is null)
                {
                    Assert.Fail($"#{i} ({message.Kind}, {type}): {(closed ? $"the server closed the connection ({socket.CloseStatus})" : "no answer")} after {message.Preview}");
                }

                var answer = JsonNode.Parse(frame) as JsonObject;
                if (answer is null)
                {
                    failures.Add($"#{i}: an answer that is not a JSON object: {Encoding.UTF8.GetString(frame)}");
                    break;
                }

                if ((string?)answer["handler"] == "error" && (string?)answer["resource"] == marker)
                {
                    break;
                }

                answers.Add(answer);
            }

            var elapsed = clock.Elapsed;
            slowest = elapsed > slowest ? elapsed : slowest;
            if (elapsed > FuzzBudget.AnswerTime)
            {
                failures.Add($"#{i} ({message.Kind}): answered in {elapsed.TotalMilliseconds:F0} ms: {message.Preview}");
            }

            if (answers.Count == 0 && !(type == WebSocketMessageType.Text && SilenceAllowed(message.Bytes)))
            {
                failures.Add($"#{i} ({message.Kind}, {type}): no answer at all to {message.Preview}");
            }

            foreach (var answer in answers)
            {
                if (Problem(answer) is { } problem)
                {
                    failures.Add($"#{i} ({message.Kind}, {type}): {problem} for {message.Preview}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures (first 20):\n{string.Join('\n', failures)}");
        Assert.Equal(WebSocketState.Open, socket.State);

        var growth = FuzzBudget.SettledHeapBytes() - baseline;
        Assert.True(growth < FuzzBudget.MemoryGrowthBytes, $"the heap grew by {growth / 1024 / 1024} MB over the run (kinds: {string.Join(", ", kinds)}; slowest answer {slowest.TotalMilliseconds:F0} ms)");
        await AssertProcessServesAsync();
    }

    [Fact]
    public async Task InvalidUtf8TextFrames_FailOnlyTheirOwnConnection()
    {
        var generator = new HostileMessages(Seed + 1, Templates, MaxMessageBytes);
        await using var bystander = await FuzzSocket.ConnectAsync(fixture.WebSocketUri("/catalogs"));
        for (var i = 0; i < 100; i++)
        {
            var message = generator.Next(HostileMessages.InvalidUtf8);
            await using var socket = await FuzzSocket.ConnectAsync(fixture.WebSocketUri("/catalogs"));
            await socket.SendAsync(message.Bytes);
            var (frame, closed) = await socket.ReceiveAsync(FuzzBudget.MissingAfter);

            // RFC 6455 §8.1: text that is not UTF-8 fails the connection (a close 1007, or the connection dropped at
            // once). A server that read it as a message would have to answer invalid_json.
            if (frame is not null)
            {
                var answer = JsonNode.Parse(frame)!.AsObject();
                Assert.True((string?)answer["params"]?["code"] == "invalid_json", $"#{i}: {answer.ToJsonString()} for {message.Preview}");
            }
            else
            {
                Assert.True(closed, $"#{i}: neither an answer nor a close for {message.Preview}");
                Assert.True(socket.CloseStatus is null or WebSocketCloseStatus.InvalidPayloadData, $"#{i}: closed with {socket.CloseStatus}");
            }
        }

        await bystander.SendAsync("""{"handler":"init"}"""u8.ToArray());
        var (session, _) = await bystander.ReceiveAsync(FuzzBudget.MissingAfter);
        Assert.NotNull(session);
        Assert.Equal("session", (string?)JsonNode.Parse(session)!["handler"]);
    }

    private static HostileMessage FilterCase(Random random)
    {
        var op = Operators[random.Next(Operators.Length)];
        var operand = BadOperands[random.Next(BadOperands.Length)];
        var handler = new[] { "query", "get", "watch" }[random.Next(3)];
        var resource = new[] { "catalogs", "nodes", "graphObjs" }[random.Next(3)];
        var filter = random.Next(3) switch
        {
            0 => $"{{\"{op}\":{operand}}}",
            1 => $"{{\"field\":{{\"{op}\":{operand}}}}}",
            _ => $"{{\"where\":{{\"a.b\":{{\"$not\":{{\"{op}\":{operand}}}}}}},\"limit\":{operand}}}",
        };
        return new HostileMessage("filter", Encoding.UTF8.GetBytes($"{{\"handler\":\"{handler}\",\"resource\":\"{resource}\",\"params\":{filter}}}"));
    }

    /// <summary>A successful watch or stop answers nothing (contract "Handlers"); anything else must be answered.</summary>
    private static bool SilenceAllowed(byte[] message)
    {
        try
        {
            return JsonNode.Parse(message) is JsonObject obj && (string?)obj["handler"] is "watch" or "stop";
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>What is wrong with an answer, or null when it is one of the contract's replies.</summary>
    private static string? Problem(JsonObject answer)
    {
        switch ((string?)answer["handler"])
        {
            case "session":
                return answer["id"] is JsonValue ? null : $"a malformed session {Cut(answer)}";
            case "list":
                return answer["items"] is JsonArray && answer["resource"] is JsonValue ? null : $"a malformed list {Cut(answer)}";
            case "item" or "remove":
                return answer.ContainsKey("id") && answer.ContainsKey("data") && answer["resource"] is JsonValue ? null : $"a malformed {answer["handler"]} {Cut(answer)}";
            case "error":
                var code = (string?)answer["params"]?["code"];
                var text = answer["params"]?["message"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : null;
                if (code is null || !DocumentedCodes.Contains(code))
                {
                    return $"error code '{code}': {Cut(answer)}";
                }

                return string.IsNullOrWhiteSpace(text) ? $"an error without a message {Cut(answer)}" : null;
            default:
                return $"an unknown reply {Cut(answer)}";
        }
    }

    private static string Cut(JsonObject answer)
    {
        var text = answer.ToJsonString();
        return text.Length <= 400 ? text : text[..400] + "…";
    }

    private async Task AssertProcessServesAsync()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode, $"/healthz answered {(int)response.StatusCode} after the run");
    }
}
