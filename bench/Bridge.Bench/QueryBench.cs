using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Documents;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Bench;

/// <summary>
/// Round trips of <c>get</c> and a 100-document <c>query</c> through the bridge's channel protocol, and the
/// same lookups against the document store called directly in this process: the embedded store, and MongoDB
/// (the wire-protocol stand-in, or a real <c>mongod</c> given with <c>--mongo-uri</c>) through the bridge's
/// <c>MongoDocumentStore</c> (MongoDB.Driver).
/// </summary>
public static class QueryBench
{
    public const string Collection = "benchdocs";
    public const int DocumentCount = 1000;
    public const int Groups = 10;

    // Requests sent and not timed before each measurement: the first few hundred of a fresh bridge process
    // include JIT compilation of the request path and the store's first connections.
    private const int WarmUp = 200;

    /// <summary>The bridge's configuration for the benchmark collection.</summary>
    public static IEnumerable<string> BridgeArguments => [$"--Bridge:Channels:Resources:{Collection}:Collection={Collection}"];

    /// <summary>The benchmark collection: <see cref="DocumentCount"/> node-like documents, <see cref="Groups"/> groups of equal size.</summary>
    public static IEnumerable<JsonObject> Documents()
    {
        for (var i = 0; i < DocumentCount; i++)
        {
            yield return new JsonObject
            {
                ["id"] = DocumentId(i),
                ["name"] = $"node-{i.ToString(CultureInfo.InvariantCulture)}",
                ["type"] = "compute",
                ["group"] = i % Groups,
                ["createdAt"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i).ToString("O", CultureInfo.InvariantCulture),
                ["tags"] = new JsonArray("rack-" + (i % 20).ToString(CultureInfo.InvariantCulture), "bench"),
                ["obms"] = new JsonArray(new JsonObject { ["service"] = "ipmi-obm-service", ["config"] = new JsonObject { ["host"] = "10.1.0." + (i % 250).ToString(CultureInfo.InvariantCulture) } }),
            };
        }
    }

    /// <summary>Writes the collection in the embedded store's documented JSON-lines form, so the bridge loads it at start.</summary>
    public static void WriteCollection(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, EmbeddedDocumentStore.FolderName);
        Directory.CreateDirectory(folder);
        using var writer = new StreamWriter(Path.Combine(folder, Collection + ".jsonl"));
        foreach (var document in Documents())
        {
            writer.WriteLine(new JsonObject { ["op"] = "insert", ["id"] = document["id"]!.GetValue<string>(), ["doc"] = document }.ToJsonString());
        }
    }

    /// <summary>
    /// Fills the collection in a fresh MongoDB database (a new name every run, so there is nothing to clear first) and
    /// indexes <c>group</c>, as an operator would index a field their UIs query by (<c>get</c> uses the <c>_id</c>
    /// index every collection has).
    /// </summary>
    public static async Task SeedAsync(IDocumentStore store, CancellationToken cancellationToken)
    {
        foreach (var document in Documents())
        {
            await store.InsertAsync(Collection, document, cancellationToken);
        }

        await store.EnsureIndexAsync(Collection, new IndexSpec("group_1", [new SortField("group", SortDirection.Ascending)]), cancellationToken);
    }

    /// <summary>The bridge's configuration for reading the collection from MongoDB instead of its embedded store.</summary>
    public static IEnumerable<string> MongoArguments(string uri, string database) =>
        [
            .. BridgeArguments, $"--Bridge:Mongo:Uri={uri}", $"--Bridge:Mongo:Database={database}",
            // The budget the store called directly has: 50 concurrent clients queue on the single-threaded stand-in
            // past the 1.5 s default on a loaded machine, and a timed-out query would measure the breaker, not the path.
            "--Bridge:Mongo:OperationTimeout=00:00:30",
        ];

    public static string GetRequest(int i) => "{\"handler\":\"get\",\"params\":{\"id\":\"" + DocumentId(i * 7 % DocumentCount) + "\"}}";

    public static string QueryRequest(int i) =>
        """{"handler":"query","params":{"where":{"group":""" + (i % Groups).ToString(CultureInfo.InvariantCulture) + """},"limit":100}}""";

    /// <summary>Sequential request/reply round trips on one connection; returns the latency summary.</summary>
    public static async Task<LatencySummary> ThroughBridgeAsync(int port, Func<int, string> request, int iterations, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{Collection}"), timeout.Token);
        var buffer = new byte[256 * 1024];
        var samples = new long[iterations];
        for (var i = -Math.Min(WarmUp, iterations); i < iterations; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(request(i + 1000));
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            var elapsed = Stopwatch.GetTimestamp() - started;
            var reply = buffer.AsSpan(0, length);
            if (reply.IndexOf("\"handler\":\"error\""u8) >= 0 || reply.IndexOf("\"handler\":\"remove\""u8) >= 0)
            {
                throw new InvalidOperationException($"the bridge answered {Encoding.UTF8.GetString(reply)}");
            }

            if (i >= 0)
            {
                samples[i] = elapsed;
            }
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        return Summarize(samples);
    }

    /// <summary>An <see cref="EmbeddedDocumentStore"/> in this process on a copy of what the bridge loaded, and the copy's folder.</summary>
    internal static (EmbeddedDocumentStore Store, string Folder) OpenEmbeddedCopy(string dataDirectory)
    {
        var copy = Directory.CreateTempSubdirectory("bridge-bench-store-").FullName;
        File.Copy(Path.Combine(dataDirectory, EmbeddedDocumentStore.FolderName, Collection + ".jsonl"), Path.Combine(copy, Collection + ".jsonl"));
        return (new EmbeddedDocumentStore(new EmbeddedStoreOptions { Seed = false }, copy, TimeProvider.System, NullLogger<EmbeddedDocumentStore>.Instance), copy);
    }

    /// <summary>The same lookups on a store called in this process: the request's filter parsed as the bridge parses it, then found.</summary>
    public static async Task<(LatencySummary Get, LatencySummary Query)> DirectAsync(IDocumentStore store, int iterations, CancellationToken cancellationToken)
    {
        var limits = new FilterLimits();
        var get = await MeasureAsync(iterations, async i =>
        {
            var parameters = JsonNode.Parse(GetRequest(i))!["params"];
            var filter = FilterParser.ParseFilter(parameters, limits);
            var found = await store.FindAsync(Collection, new DocumentQuery(filter, [], 0, 1), cancellationToken);
            return found.Count == 1;
        });
        var query = await MeasureAsync(iterations, async i =>
        {
            var parameters = JsonNode.Parse(QueryRequest(i))!["params"];
            var found = await store.FindAsync(Collection, FilterParser.ParseQuery(parameters, limits), cancellationToken);
            return found.Count == DocumentCount / Groups;
        });
        return (get, query);
    }

    private static async Task<LatencySummary> MeasureAsync(int iterations, Func<int, Task<bool>> lookup)
    {
        var samples = new long[iterations];
        for (var i = -Math.Min(WarmUp, iterations); i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            if (!await lookup(i + 1000))
            {
                throw new InvalidOperationException("the store returned an unexpected number of documents");
            }

            if (i >= 0)
            {
                samples[i] = Stopwatch.GetTimestamp() - started;
            }
        }

        return Summarize(samples);
    }

    private static LatencySummary Summarize(long[] samples)
    {
        Array.Sort(samples);
        static double Millis(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        long At(double p) => samples[Math.Clamp((int)Math.Ceiling(p * samples.Length) - 1, 0, samples.Length - 1)];
        return new LatencySummary(Millis(At(0.5)), Millis(At(0.99)), Millis(samples[^1]), samples.Length);
    }

    private static string DocumentId(int i) => "doc-" + i.ToString("D4", CultureInfo.InvariantCulture);
}
