using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.Bench;

/// <summary>
/// Issue 11, item 4, measured from outside: the publish-to-receive latency of an ordinary watcher's deliveries
/// (an unfiltered <c>nodes</c> watch) alone, and while another connection holds twenty watches with the costliest
/// regex filters it may send, on the embedded broker and on RabbitMQ. A fresh bridge per broker; events go through
/// <c>POST /api/publish</c> (the same path for both brokers), one every 20 ms.
/// </summary>
public static class FilterCostBench
{
    public const int CostlyWatches = 20;

    // Patterns a backtracking engine takes exponential time on; the bridge matches them in linear time.
    private static readonly string[] CatastrophicPatterns =
        ["^(.+)+X$", "^(a|aa)+X$", "^(.*a){12}X$", "^(a+)+X$", "^(\\w+\\s?)+X$"];

    private const string Account = "bench";
    private const string Password = "bench-filter-cost";

    public static async Task<IReadOnlyList<FilterCostResult>> RunAsync(
        string bridgeDll, string? amqpUri, int events, int repetitions, string logDirectory, CancellationToken cancellationToken)
    {
        var results = new List<FilterCostResult>();
        foreach (var broker in amqpUri is null ? ["embedded"] : new[] { "embedded", "rabbitmq" })
        {
            await using var bridge = await StartAsync(bridgeDll, broker == "rabbitmq" ? amqpUri : null, logDirectory, cancellationToken);
            using var http = await PublisherAsync(bridge.Port, Account, Password, cancellationToken);
            var result = new FilterCostResult(broker, events, [], []);
            await using var victim = await BenchSocket.ConnectAsync(bridge.Port, "nodes", cancellationToken);
            await victim.SendAsync("""{"handler":"watch"}""", cancellationToken);
            // Warm-up: JIT, the publish path, the regex engine's first use.
            await MeasureAsync(http, victim, "warm", Math.Min(events, 20), cancellationToken);
            for (var rep = 0; rep < repetitions; rep++)
            {
                result.Alone.Add(await MeasureAsync(http, victim, $"alone{rep}", events, cancellationToken));
                await using (var attacker = await BenchSocket.ConnectAsync(bridge.Port, "nodes", cancellationToken))
                {
                    for (var i = 0; i < CostlyWatches; i++)
                    {
                        await attacker.SendAsync(CostlyWatch(i), cancellationToken);
                    }

                    await attacker.SyncAsync(cancellationToken);
                    result.Attacked.Add(await MeasureAsync(http, victim, $"attacked{rep}", events, cancellationToken));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  filter cost {broker,-8}: ordinary watcher p50/p99 {result.Alone[^1].P50Ms:F2}/{result.Alone[^1].P99Ms:F2} ms alone, {result.Attacked[^1].P50Ms:F2}/{result.Attacked[^1].P99Ms:F2} ms beside {CostlyWatches} costly watches"));
            }

            results.Add(result);
        }

        return results;
    }

    public static string Markdown(IReadOnlyList<FilterCostResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"#### An ordinary watcher's latency beside {CostlyWatches} costly regex watches (ms; one event every 20 ms)");
        text.AppendLine();
        text.AppendLine("| broker | events per phase | alone p50 / p99 / max | beside the costly watches p50 / p99 / max | p99 ratio |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var alone = Median(r.Alone);
            var attacked = Median(r.Attacked);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Broker} | {r.Events} | {alone.P50Ms:F2} / {alone.P99Ms:F2} / {alone.MaxMs:F2} | {attacked.P50Ms:F2} / {attacked.P99Ms:F2} / {attacked.MaxMs:F2} | {attacked.P99Ms / alone.P99Ms:F2}× |");
        }

        return text.ToString();
    }

    internal static LatencySummary Median(List<LatencySummary> reps) => new(
        BenchResults.Median(reps.Select(r => r.P50Ms)), BenchResults.Median(reps.Select(r => r.P99Ms)), BenchResults.Median(reps.Select(r => r.MaxMs)), reps.Sum(r => r.Samples));

    /// <summary>A watch whose <c>$or</c> of five catastrophic patterns is evaluated on every node event; distinct params make it a group of its own.</summary>
    private static string CostlyWatch(int variant) => new JsonObject
    {
        ["handler"] = "watch",
        ["params"] = new JsonObject
        {
            ["$or"] = new JsonArray([.. CatastrophicPatterns.Select(p => (JsonNode)new JsonObject { ["name"] = new JsonObject { ["$regex"] = p } })]),
            ["variant"] = new JsonObject { ["$ne"] = variant },
        },
    }.ToJsonString();

    /// <summary>Publishes <paramref name="events"/> node updates through the publish API, one every 20 ms, and times each one's arrival at <paramref name="victim"/>.</summary>
    internal static async Task<LatencySummary> MeasureAsync(HttpClient http, BenchSocket victim, string phase, int events, CancellationToken cancellationToken)
    {
        // A name that makes every catastrophic pattern work hardest: long, almost matching, never ending in X.
        var name = new string('a', 3000) + "!";
        var sent = new long[events];
        var latencies = new long[events];
        var receiving = Task.Run(async () =>
        {
            var seen = 0;
            while (seen < events)
            {
                var frame = await victim.ReceiveAsync(cancellationToken);
                var arrived = Stopwatch.GetTimestamp();
                if (frame["id"] is JsonArray { Count: 2 } id && (string?)id[1] is { } text && text.StartsWith(phase + "-", StringComparison.Ordinal))
                {
                    var index = int.Parse(text[(phase.Length + 1)..], CultureInfo.InvariantCulture);
                    latencies[index] = arrived - Volatile.Read(ref sent[index]);
                    seen++;
                }
            }
        }, cancellationToken);

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < events; i++)
        {
            await Pacing.WaitForSlotAsync(started, i, 50, cancellationToken);
            var id = string.Create(CultureInfo.InvariantCulture, $"{phase}-{i}");
            Volatile.Write(ref sent[i], Stopwatch.GetTimestamp());
            var body = JsonSerializer.Serialize(new
            {
                exchange = "on.waterline",
                routingKey = $"nodes.updated.{id}",
                payload = new { @event = "updated", record = new { id, name, variant = -1 } },
            });
            using var response = await http.PostAsync(new Uri("/api/publish", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /api/publish: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }

        await receiving.WaitAsync(TimeSpan.FromSeconds(60 + events), cancellationToken);
        Array.Sort(latencies);
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new LatencySummary(
            Ms(latencies[Math.Clamp((int)Math.Ceiling(0.5 * events) - 1, 0, events - 1)]),
            Ms(latencies[Math.Clamp((int)Math.Ceiling(0.99 * events) - 1, 0, events - 1)]),
            Ms(latencies[^1]),
            events);
    }

    private static Task<ChildProcess> StartAsync(string bridgeDll, string? amqpUri, string logDirectory, CancellationToken cancellationToken) =>
        StartBridgeAsync(bridgeDll, amqpUri is null ? "bridge-filter-embedded" : "bridge-filter-rabbitmq", Account, Password,
            amqpUri is null ? [] : [$"--Bridge:RabbitMq:Uri={amqpUri}"], logDirectory, cancellationToken);

    /// <summary>
    /// A fresh bridge of the bench's own scenarios: anonymous channels, no demo traffic, its own data directory, and
    /// one admin account (<paramref name="admin"/>) for <c>POST /api/publish</c>; <paramref name="extraArguments"/> add to it.
    /// </summary>
    internal static async Task<ChildProcess> StartBridgeAsync(
        string bridgeDll, string name, string admin, string adminPassword, IEnumerable<string> extraArguments, string logDirectory, CancellationToken cancellationToken)
    {
        var port = LoopbackPorts.Free(1)[0];
        var dataDirectory = Directory.CreateTempSubdirectory(name + "-").FullName;
        var arguments = new List<string>
        {
            bridgeDll,
            "--urls", $"http://127.0.0.1:{port}",
            "--Bridge:Channels:AllowAnonymous=true",
            "--Bridge:Demo:Enabled=false",
            $"--Bridge:DataDirectory={dataDirectory}",
            $"--Bridge:Accounts:0:Name={admin}",
            $"--Bridge:Accounts:0:Password={adminPassword}",
            "--Bridge:Accounts:0:IsAdmin=true",
            "--Logging:LogLevel:Default=Warning",
        };
        arguments.AddRange(extraArguments);

        return await ChildProcess.StartAsync(
            name, arguments, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            Path.GetDirectoryName(bridgeDll)!, port, "/readyz", logDirectory, cancellationToken);
    }

    /// <summary>An HTTP client holding an admin token (one password check, not one per publish).</summary>
    internal static async Task<HttpClient> PublisherAsync(int port, string account, string password, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{password}")));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!["token"]!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}

/// <summary>Both phases of one broker; each list holds one summary per repetition.</summary>
public sealed record FilterCostResult(string Broker, int Events, List<LatencySummary> Alone, List<LatencySummary> Attacked);

/// <summary>A channel client of the bench's own scenarios: send text, receive whole JSON frames.</summary>
internal sealed class BenchSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    public static async Task<BenchSocket> ConnectAsync(int port, string resource, CancellationToken cancellationToken)
    {
        var socket = new BenchSocket();
        await socket._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{resource}"), cancellationToken);
        return socket;
    }

    public Task SendAsync(string text, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>Sends <c>init</c> and waits for its <c>session</c> reply: every earlier message has been handled.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        await SendAsync("""{"handler":"init"}""", cancellationToken);
        while ((string?)(await ReceiveAsync(cancellationToken))["handler"] != "session")
        {
        }
    }

    public async Task<JsonObject> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the bridge closed the connection ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
            }

            length += result.Count;
        }
        while (!result.EndOfMessage);

        return JsonNode.Parse(_buffer.AsSpan(0, length))!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
    }
}
