using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Documents;

namespace Bridge.Bench;

/// <summary>
/// Issue 17 §4: many clients issuing <c>get</c> or a 100-document <c>query</c> back to back for a fixed time,
/// each on its own bridge connection, beside the same number of concurrent callers of the store in this
/// process. Reports queries per second (all clients together) and the p99 of every request's round trip.
/// </summary>
public static class ConcurrentQueryBench
{
    // Requests each client sends before anything is measured: the request path's first JIT and the store's connections.
    private const int WarmUpPerClient = 20;

    // The length of one untimed run, at most: long enough for a few hundred requests per client.
    private static readonly TimeSpan WarmUpRun = TimeSpan.FromSeconds(2);

    public static async Task MeasureAsync(
        BenchOptions options, BenchResults results, string storeName, int port, IDocumentStore store, CancellationToken cancellationToken)
    {
        var duration = options.ConcurrentQuerySeconds;
        var warmUpRun = duration < WarmUpRun ? duration : WarmUpRun;
        var clients = options.ConcurrentQueryClients;
        var limits = new FilterLimits();
        foreach (var (operation, request, expected, toQuery) in new (string, Func<int, string>, int, Func<JsonNode?, DocumentQuery>)[]
        {
            // As the bridge reads them: get is an id filter with a limit of one, query the parsed where/limit.
            ("get", QueryBench.GetRequest, 1, parameters => new DocumentQuery(FilterParser.ParseFilter(parameters, limits), [], 0, 1)),
            ("query 100", QueryBench.QueryRequest, QueryBench.DocumentCount / QueryBench.Groups, parameters => FilterParser.ParseQuery(parameters, limits)),
        })
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter((2 * ServerWarmup.MaxWarmUpRuns * warmUpRun) + (2 * options.Repetitions * duration) + TimeSpan.FromSeconds(120));
            var sockets = await ConnectAsync(port, clients, timeout.Token);
            try
            {
                // Untimed runs on both paths until each one's rate is steady (ServerWarmup): with 20 requests per
                // client and no more, the bridge's three timed runs rose from 1 181 to 2 167 to 2 686 gets/s in the
                // full run of 2026-12-02 16:58, and the median took the middle one. The store in this process warms
                // up the same way, less: its first run was at 0.92× of its third. The untimed runs are all the direct
                // path's warm-up; the bridge's connections first send a few requests each, for their first frames.
                await Task.WhenAll(sockets.Select((socket, client) => RoundTripsAsync(socket, request, client, WarmUpPerClient, long.MaxValue, timeout.Token)));
                var bridgeWarmUp = await ServerWarmup.UntilSteadyAsync(
                    options.Quick, async () => (await ThroughBridgeAsync(sockets, request, warmUpRun, timeout.Token)).QueriesPerSecond);
                var directWarmUp = await ServerWarmup.UntilSteadyAsync(
                    options.Quick, async () => (await DirectAsync(store, request, toQuery, expected, clients, warmUpRun, timeout.Token)).QueriesPerSecond);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  concurrent {storeName,-8} {operation,-9} {clients} clients: warm-up runs, queries/s: bridge {ServerWarmup.Describe(bridgeWarmUp)}; store {ServerWarmup.Describe(directWarmUp)}"));

                var bridge = new ConcurrentQueryResult(storeName, "bridge", operation, clients, []);
                var direct = new ConcurrentQueryResult(storeName, "store", operation, clients, []);
                for (var rep = 0; rep < options.Repetitions; rep++)
                {
                    bridge.Reps.Add(await ThroughBridgeAsync(sockets, request, duration, timeout.Token));
                    direct.Reps.Add(await DirectAsync(store, request, toQuery, expected, clients, duration, timeout.Token));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  concurrent {storeName,-8} {operation,-9} {clients} clients: bridge {bridge.Reps[^1].QueriesPerSecond:N0}/s p99 {bridge.Reps[^1].P99Ms:F2} ms; store {direct.Reps[^1].QueriesPerSecond:N0}/s p99 {direct.Reps[^1].P99Ms:F2} ms"));
                }

                results.ConcurrentQueries.AddRange([bridge, direct]);
                foreach (var socket in sockets)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                }
            }
            finally
            {
                foreach (var socket in sockets)
                {
                    socket.Dispose();
                }
            }
        }
    }

    /// <summary>One WebSocket per client, all kept for every run of one operation.</summary>
    private static async Task<List<ClientWebSocket>> ConnectAsync(int port, int clients, CancellationToken cancellationToken)
    {
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                var socket = new ClientWebSocket();
                sockets.Add(socket);
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{QueryBench.Collection}"), cancellationToken);
            }

            return sockets;
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Each client one request in flight, the next sent when the reply arrives, for <paramref name="duration"/>.</summary>
    private static async Task<ConcurrentQueryRep> ThroughBridgeAsync(List<ClientWebSocket> sockets, Func<int, string> request, TimeSpan duration, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var samples = await Task.WhenAll(sockets.Select((socket, client) => RoundTripsAsync(socket, request, client, int.MaxValue, until, cancellationToken)));
        return ConcurrentQueryRep.From(samples, Stopwatch.GetElapsedTime(started));
    }

    private static async Task<List<long>> RoundTripsAsync(ClientWebSocket socket, Func<int, string> request, int client, int count, long until, CancellationToken cancellationToken)
    {
        var buffer = new byte[256 * 1024];
        var samples = new List<long>();
        for (var i = 0; i < count && Stopwatch.GetTimestamp() < until; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(request((client * 7919) + i));
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            samples.Add(Stopwatch.GetTimestamp() - started);
            var reply = buffer.AsSpan(0, length);
            if (reply.IndexOf("\"handler\":\"error\""u8) >= 0 || reply.IndexOf("\"handler\":\"remove\""u8) >= 0)
            {
                throw new InvalidOperationException($"the bridge answered {Encoding.UTF8.GetString(reply)}");
            }
        }

        return samples;
    }

    /// <summary>The same requests on the store in this process: parsed as the bridge parses them, then found.</summary>
    private static async Task<ConcurrentQueryRep> DirectAsync(
        IDocumentStore store, Func<int, string> request, Func<JsonNode?, DocumentQuery> toQuery, int expected, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        async Task<List<long>> CallerAsync(int client, long until)
        {
            await Task.Yield();
            var samples = new List<long>();
            for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var parameters = JsonNode.Parse(request((client * 7919) + i))!["params"];
                var found = await store.FindAsync(QueryBench.Collection, toQuery(parameters), cancellationToken);
                samples.Add(Stopwatch.GetTimestamp() - started);
                if (found.Count != expected)
                {
                    throw new InvalidOperationException($"the store returned {found.Count} documents, not {expected}");
                }
            }

            return samples;
        }

        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var samples = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => CallerAsync(client, until)));
        return ConcurrentQueryRep.From(samples, Stopwatch.GetElapsedTime(started));
    }
}
