using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Hardening;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// Raw WebSocket protocol violations (RFC 6455 §5) on both fronts, generated from a seed: each fails only its own
/// connection, at once (a close 1002 or the connection dropped), while a bystander connection keeps working.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class RawProtocolViolationTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const int Seed = 6455;
    private const int Cases = 120;

    private static readonly string[] Violations =
    [
        "unmasked", "reserved-bits", "unknown-opcode", "orphan-continuation", "fragmented-ping", "long-ping", "interleaved-message",
        "close-bad-code", "truncated-header-then-eof",
    ];

    [Theory]
    [InlineData("/catalogs")]
    [InlineData("/websocket")]
    public async Task Violations_FailOnlyTheirOwnConnection_AtOnce(string path)
    {
        var random = new Random(Seed + path.Length);
        var token = await fixture.TokenAsync("alice");
        var target = path == "/websocket" ? $"/websocket?token={Uri.EscapeDataString(token)}" : $"/catalogs?token={Uri.EscapeDataString(token)}";
        await using var bystander = await FuzzSocket.ConnectAsync(fixture.Host.WebSocketUri(target));
        if (path == "/websocket")
        {
            await bystander.ReceiveAsync(FuzzBudget.MissingAfter);
        }

        var failures = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var violation = Violations[random.Next(Violations.Length)];
            await using var connection = await RawConnection.OpenAsync(fixture.Host.BaseUri);
            var head = await connection.UpgradeAsync(target, fixture.Host.BaseUri.Authority);
            Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);

            var clock = Stopwatch.StartNew();
            var bytes = Frames(violation, random);
            await connection.SendAsync(bytes);
            if (violation == "truncated-header-then-eof")
            {
                await connection.DisposeAsync();
                continue;
            }

            var (received, closed) = await connection.ReadUntilClosedAsync(FuzzBudget.MissingAfter);
            if (!closed || clock.Elapsed > FuzzBudget.AnswerTime)
            {
                failures.Add($"#{i} {violation}: {(closed ? $"closed after {clock.Elapsed.TotalMilliseconds:F0} ms" : "still open")} ({Convert.ToHexString(bytes.AsSpan(0, Math.Min(16, bytes.Length)))})");
            }
            else if (CloseCode(received) is { } code && code is not (1002 or 1007 or 1009))
            {
                failures.Add($"#{i} {violation}: closed with {code}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        await AssertBystanderServesAsync(bystander, path);
    }

    private static async Task AssertBystanderServesAsync(FuzzSocket bystander, string path)
    {
        var request = path == "/websocket"
            ? """{"jsonrpc":"2.0","id":1,"method":"subscribe_account","params":{"eventType":"*","accounts":[]}}"""
            : """{"handler":"init"}""";
        await bystander.SendAsync(Encoding.UTF8.GetBytes(request));
        var (answer, _) = await bystander.ReceiveAsync(FuzzBudget.MissingAfter);
        Assert.NotNull(answer);
        var json = JsonNode.Parse(answer)!;
        Assert.True(json["result"] is not null || (string?)json["handler"] == "session", json.ToJsonString());
    }

    /// <summary>The close code of the first frame received, when it is a close frame with one.</summary>
    private static int? CloseCode(byte[] received) =>
        received.Length >= 4 && received[0] == 0x88 ? (received[2] << 8) | received[3] : null;

    private static byte[] Frames(string violation, Random random)
    {
        var payload = Encoding.UTF8.GetBytes("""{"handler":"init"}""");
        return violation switch
        {
            "unmasked" => [0x81, (byte)payload.Length, .. payload],
            "reserved-bits" => Frame((byte)(0x81 | (0x10 << random.Next(3))), payload),
            "unknown-opcode" => Frame((byte)(0x80 | new[] { 0x3, 0x4, 0x7, 0xB, 0xF }[random.Next(5)]), payload),
            "orphan-continuation" => Frame(0x80, payload),
            "fragmented-ping" => Frame(0x09, [1, 2, 3]),
            "long-ping" => Frame(0x89, new byte[126 + random.Next(100)]),
            "interleaved-message" => [.. Frame(0x01, payload[..5]), .. Frame(0x81, payload)],
            "close-bad-code" => CloseWithCode(new[] { 0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535 }[random.Next(9)]),
            _ => [0x81, 0xFE, 0x01],
        };
    }

    // RFC 6455 §7.4: these codes may not be sent in a close frame.
    private static byte[] CloseWithCode(int code) => Frame(0x88, [(byte)(code >> 8), (byte)code]);

    /// <summary>A masked frame with <paramref name="first"/> as its first byte (FIN, RSV, opcode).</summary>
    private static byte[] Frame(byte first, byte[] payload)
    {
        byte[] mask = [0x0F, 0xF0, 0x55, 0xAA];
        var header = payload.Length < 126 ? new byte[] { first, (byte)(0x80 | payload.Length) } : [first, 0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length];
        var masked = payload.Select((b, i) => (byte)(b ^ mask[i % 4])).ToArray();
        return [.. header, .. mask, .. masked];
    }
}
