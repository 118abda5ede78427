using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Bridge.Documents;
using Bridge.Documents.Mongo;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace Bridge.Bench;

/// <summary>The whole run: one private RabbitMQ node, then every system at every size, then memory and queries.</summary>
public static class BenchRunner
{

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var bridgeDll = options.BridgePath ?? FindBridge();

        var results = new BenchResults
        {
            CommandLine = "dotnet Bridge.Bench.dll " + options.CommandLine,
            Cores = Environment.ProcessorCount,
            StartedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            LoadAtStart = LoadAverage(),
            Runtime = RuntimeInformation.FrameworkDescription,
            Machine = $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {CpuModel()}",
        };
        Directory.CreateDirectory(options.OutputDirectory);
        var logDirectory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "logs")).FullName;

        Console.WriteLine($"Bridge.Bench  cores={results.Cores}  load={results.LoadAtStart}  {results.Machine}");
        Console.WriteLine($"bridge: {bridgeDll}");
        // The bridge holds every many-connections socket itself; only the clients are spread over processes.
        var needed = Math.Max(Math.Max(options.Subscribers.Concat(options.LatencySubscribers).Concat(options.DistinctWatches).DefaultIfEmpty(0).Max(), options.IdleConnections), options.ManyConnections) + 512;
        var limit = OpenFileLimit();
        if (limit < needed)
        {
            Console.Error.WriteLine($"The open-file limit is {limit}; {needed} are needed for these sizes. Run through bench/run.sh, or `ulimit -n 65536` first.");
            return 3;
        }

        await using var node = await TimedAsync("RabbitMQ node with Web-STOMP", () => RabbitMqServer.StartAsync(new RabbitMqServerOptions { NamePrefix = "bridge-bench", WebStomp = true }));
        await using var publisher = await AmqpPublisher.CreateAsync(node.AmqpUri, cancellationToken);
        var context = new RunContext(options, bridgeDll, node, publisher, logDirectory, results);

        foreach (var subscribers in options.Subscribers.Union(options.LatencySubscribers).Order())
        {
            foreach (var system in FanOutSystems(options))
            {
                await MeasureFanOutAsync(context, system, subscribers, cancellationToken);
            }
        }

        if (options.DistinctWatches.Count > 0)
        {
            await DistinctWatchBench.RunAsync(context, cancellationToken);
        }

        if (options.IdleConnections > 0)
        {
            await MeasureIdleMemoryAsync(context, cancellationToken);
        }

        if (options.ManyConnections > 0 && options.Systems.Contains(SystemKind.Bridge))
        {
            await ManyConnectionsBench.MeasureAsync(
                options,
                results,
                async ct =>
                {
                    var bridge = await StartBridgeAsync(context, [], ct);
                    return (bridge.Endpoint, bridge.Process!, bridge);
                },
                publisher,
                logDirectory,
                cancellationToken);
        }

        if ((options.QueryIterations > 0 || options.ConcurrentQueryClients > 0) && options.Systems.Contains(SystemKind.Bridge))
        {
            await MeasureQueriesAsync(context, cancellationToken);
        }

        var extraReports = await MeasureScenariosAsync(context, cancellationToken);

        results.FinishedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        results.LoadAtEnd = LoadAverage();

        var report = Report.Markdown(results) + extraReports;
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.md"), report, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "chart.svg"), Report.Chart(results), cancellationToken);
        await File.WriteAllTextAsync(
            Path.Combine(options.OutputDirectory, "results.json"),
            JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }),
            cancellationToken);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"results in {Path.GetFullPath(options.OutputDirectory)}");
        return 0;
    }

    /// <summary>The systems of the fan-out rows: the chosen ones, and the baseline build right after the bridge.</summary>
    private static IEnumerable<SystemKind> FanOutSystems(BenchOptions options)
    {
        foreach (var system in options.Systems)
        {
            yield return system;
            if (system == SystemKind.Bridge && options.BaselineBridgePath is not null)
            {
                yield return SystemKind.BridgeBefore;
            }
        }
    }

    private static async Task MeasureFanOutAsync(RunContext context, SystemKind system, int subscribers, CancellationToken cancellationToken)
    {
        var options = context.Options;
        await using var target = await StartTargetAsync(context, system, cancellationToken);
        await using var fleet = await TimedAsync($"{system}: {subscribers} subscribers", () => ConnectFleetAsync(system, target.Endpoint, subscribers, cancellationToken));

        // Warm-up: JIT, connection buffers, the broker's queue processes. Whole untimed runs until the server's CPU per
        // delivery is steady (ServerWarmup): a 50-message warm-up, and then one whole run, left the tier-1 compilation
        // of a fresh process inside the timed runs' CPU.
        var warmUp = await ServerWarmup.UntilSteadyAsync(
            target.ServerPid,
            options.Quick,
            async () => (await RunOnceAsync(fleet, target.Publisher, options.MessagesFor(subscribers), options.Sizes[0], rate: 0, recordLatency: false, cancellationToken)).Received,
            cancellationToken);
        Console.WriteLine($"  warm-up  {system,-8} N={subscribers,5}: CPU µs/delivery of the untimed runs: {ServerWarmup.Describe(warmUp)}");

        if (options.Subscribers.Contains(subscribers))
        {
            var messages = options.MessagesFor(subscribers);
            foreach (var size in options.Sizes)
            {
                var result = new ThroughputResult(system, subscribers, size, messages, [], []);
                for (var rep = 0; rep < options.Repetitions; rep++)
                {
                    var cpuBefore = ChildProcess.CpuSecondsOf(target.ServerPid);
                    var run = await RunOnceAsync(fleet, target.Publisher, messages, size, rate: 0, recordLatency: false, cancellationToken);
                    var cpu = (ChildProcess.CpuSecondsOf(target.ServerPid) - cpuBefore) * 1e6 / Math.Max(1, run.Received);
                    result.Rates.Add(run.DeliveriesPerSecond);
                    result.Delivered.Add(run.Received);
                    result.ServerCpuMicrosPerDelivery.Add(cpu);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  throughput {system,-8} N={subscribers,5} {size,5} B  M={messages,6}: {run.DeliveriesPerSecond,10:N0} deliveries/s ({run.Received}/{run.Expected} in {run.ElapsedSeconds:F2} s; server CPU {cpu:F2} µs/delivery)"));
                }

                context.Results.Throughput.Add(result);
            }
        }

        if (options.LatencySubscribers.Contains(subscribers))
        {
            var messageRate = (double)options.LatencyRate / subscribers;
            var messages = Math.Max(20, (int)(messageRate * options.LatencySeconds));
            foreach (var size in options.LatencySizes)
            {
                var result = new LatencyResult(system, subscribers, size, options.LatencyRate, []);
                for (var rep = 0; rep < options.Repetitions; rep++)
                {
                    var run = await RunOnceAsync(fleet, target.Publisher, messages, size, messageRate, recordLatency: true, cancellationToken);
                    var latency = run.Latency();
                    result.Reps.Add(latency);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  latency    {system,-8} N={subscribers,5} {size,5} B  {options.LatencyRate} deliveries/s: p50 {latency.P50Ms:F2} ms  p99 {latency.P99Ms:F2} ms  max {latency.MaxMs:F2} ms ({run.Received}/{run.Expected})"));
                }

                context.Results.Latency.Add(result);
                if (system == SystemKind.Bridge)
                {
                    await MeasureBrokerHopAsync(context, subscribers, size, messages, messageRate, cancellationToken);
                }
            }
        }

        if (fleet.UnexpectedCloses > 0)
        {
            context.Results.Notes.Add($"{system} at N={subscribers}: {fleet.UnexpectedCloses} connections were closed by the server during the runs.");
        }
    }

    /// <summary>The opt-in scenarios (issue 11's filter and guessing cost, issue 15's telemetry cost); their tables follow the report.</summary>
    private static async Task<string> MeasureScenariosAsync(RunContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var report = new System.Text.StringBuilder();
        if (options.FilterCostEvents > 0)
        {
            var filterCost = await FilterCostBench.RunAsync(context.BridgeDll, context.Node.AmqpUri, options.FilterCostEvents, options.Repetitions, context.LogDirectory, cancellationToken);
            report.AppendLine().Append(FilterCostBench.Markdown(filterCost));
        }

        if (options.GuessingCostEvents > 0)
        {
            var guessing = await GuessingCostBench.RunAsync(context.BridgeDll, options.GuessingCostEvents, options.Repetitions, context.LogDirectory, cancellationToken);
            report.AppendLine().Append(GuessingCostBench.Markdown(guessing));
        }

        if (options.TelemetryCostSubscribers.Count > 0)
        {
            var telemetry = new List<TelemetryCostResult>();
            foreach (var subscribers in options.TelemetryCostSubscribers)
            {
                telemetry.Add(await MeasureTelemetryCostAsync(context, subscribers, options.Sizes[0], cancellationToken));
            }

            report.AppendLine().Append(TelemetryCostBench.Markdown(telemetry));
        }

        if (options.RecoveryCostSubscribers.Count > 0)
        {
            var recovery = new List<RecoveryCostResult>();
            foreach (var subscribers in options.RecoveryCostSubscribers)
            {
                recovery.Add(await MeasureRecoveryCostAsync(context, subscribers, options.Sizes[0], cancellationToken));
            }

            report.AppendLine().Append(RecoveryCostBench.Markdown(recovery));
        }

        if (options.ReplayMessages > 0)
        {
            await using var target = await StartBridgeAsync(context, [], cancellationToken);
            var replays = await ReplayRateBench.RunAsync(target.Endpoint, context.Publisher, options.ReplayMessages, options.Sizes[0], options.Repetitions, cancellationToken);
            report.AppendLine().Append(ReplayRateBench.Markdown(replays));
        }

        return report.ToString();
    }

    private static async Task<RecoveryCostResult> MeasureRecoveryCostAsync(RunContext context, int subscribers, int size, CancellationToken cancellationToken)
    {
        var result = new RecoveryCostResult(subscribers, size, context.Options.MessagesFor(subscribers));
        for (var rep = 0; rep < context.Options.Repetitions; rep++)
        {
            // Each in its own fresh bridge, the order alternating between repetitions (as the telemetry scenario does).
            foreach (var recover in rep % 2 == 0 ? new[] { false, true } : [true, false])
            {
                await using var target = await StartBridgeAsync(context, [], cancellationToken);
                await using var fleet = await SubscriberFleet.ConnectAsync(SystemKind.Bridge, target.Endpoint, subscribers, cancellationToken, recover);
                await RunOnceAsync(fleet, target.Publisher, result.Messages, size, rate: 0, recordLatency: false, cancellationToken);
                await ServerWarmup.SettleAsync(target.ServerPid, context.Options.Quick, cancellationToken);
                var cpuBefore = ChildProcess.CpuSecondsOf(target.ServerPid);
                var run = await RunOnceAsync(fleet, target.Publisher, result.Messages, size, rate: 0, recordLatency: false, cancellationToken);
                var cpu = (ChildProcess.CpuSecondsOf(target.ServerPid) - cpuBefore) * 1e6 / Math.Max(1, run.Received);
                var name = RecoveryCostBench.Name(recover);
                result.Rates[name].Add(run.DeliveriesPerSecond);
                result.Cpu[name].Add(cpu);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  recovery  {name,-4} N={subscribers,5} {size,5} B  M={result.Messages,6}: {run.DeliveriesPerSecond,10:N0} deliveries/s ({run.Received}/{run.Expected}; server CPU {cpu:F2} µs/delivery)"));
            }
        }

        return result;
    }

    private static async Task<TelemetryCostResult> MeasureTelemetryCostAsync(RunContext context, int subscribers, int size, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var configurations = TelemetryCostBench.ConfigurationsFor(options.BaselineBridgePath);
        var result = new TelemetryCostResult(subscribers, size, options.MessagesFor(subscribers), configurations);
        for (var rep = 0; rep < options.Repetitions; rep++)
        {
            // A different configuration goes first in each repetition, so none always runs right after a build or a start.
            for (var i = 0; i < configurations.Count; i++)
            {
                var configuration = configurations[(i + rep) % configurations.Count];
                var bridge = configuration.BridgeDll is { } dll ? context with { BridgeDll = dll } : context;
                await using var target = await StartBridgeAsync(bridge, configuration.Arguments, cancellationToken);
                await using var fleet = await SubscriberFleet.ConnectAsync(SystemKind.Bridge, target.Endpoint, subscribers, cancellationToken);

                // A whole untimed run first, then until the server is idle (ServerWarmup): a fresh process compiles the
                // hot path (and, with telemetry on, the SDK's and the spans' code) at tier 0 and then again at tier 1 on
                // a background thread, and a 50-message warm-up left that compilation inside the timed run's CPU.
                await RunOnceAsync(fleet, target.Publisher, result.Messages, size, rate: 0, recordLatency: false, cancellationToken);
                await ServerWarmup.SettleAsync(target.ServerPid, context.Options.Quick, cancellationToken);
                var cpuBefore = ChildProcess.CpuSecondsOf(target.ServerPid);
                var run = await RunOnceAsync(fleet, target.Publisher, result.Messages, size, rate: 0, recordLatency: false, cancellationToken);
                var cpu = (ChildProcess.CpuSecondsOf(target.ServerPid) - cpuBefore) * 1e6 / Math.Max(1, run.Received);
                result.Rates[configuration.Name].Add(run.DeliveriesPerSecond);
                result.Cpu[configuration.Name].Add(cpu);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  telemetry {configuration.Name,-22} N={subscribers,5} {size,5} B  M={result.Messages,6}: {run.DeliveriesPerSecond,10:N0} deliveries/s ({run.Received}/{run.Expected}; server CPU {cpu:F2} µs/delivery)"));
            }
        }

        return result;
    }

    private static async Task MeasureBrokerHopAsync(RunContext context, int subscribers, int size, int messages, double messageRate, CancellationToken cancellationToken)
    {
        var options = context.Options;
        await using var hop = await BrokerHop.ConnectAsync(context.Node.AmqpUri, cancellationToken);
        var result = new LatencyResult(SystemKind.Bridge, subscribers, size, options.LatencyRate, []);
        for (var rep = 0; rep < options.Repetitions; rep++)
        {
            var latency = await hop.MeasureAsync(context.Publisher, messages, size, messageRate, cancellationToken);
            result.Reps.Add(latency);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  latency    RabbitMQ hop alone, {messageRate:F0} messages/s (the bridge's rate at N={subscribers}): p50 {latency.P50Ms:F2} ms  p99 {latency.P99Ms:F2} ms  max {latency.MaxMs:F2} ms ({latency.Samples}/{messages})"));
        }

        context.Results.BrokerHop.Add(result);
    }

    /// <summary>The SignalR peer's clients are HubConnections; every other system's are raw WebSockets (the baseline build speaks the bridge's protocol).</summary>
    private static async Task<IDeliveryFleet> ConnectFleetAsync(SystemKind system, Uri endpoint, int count, CancellationToken cancellationToken) =>
        system == SystemKind.SignalR
            ? await SignalRFleet.ConnectAsync(endpoint, count, cancellationToken)
            : await SubscriberFleet.ConnectAsync(system == SystemKind.BridgeBefore ? SystemKind.Bridge : system, endpoint, count, cancellationToken);

    private static async Task<DeliveryRun> RunOnceAsync(
        IDeliveryFleet fleet, IBenchPublisher publisher, int messages, int size, double rate, bool recordLatency, CancellationToken cancellationToken)
    {
        var run = fleet.Begin((long)messages * fleet.Count, recordLatency);
        try
        {
            await publisher.PublishAsync(messages, size, rate, cancellationToken);
            var allowed = TimeSpan.FromSeconds(30 + (run.Expected / 5000.0));
            await run.Completed.WaitAsync(allowed, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return run;
        }
        finally
        {
            fleet.End();
            // Let stragglers of an incomplete run drain before the next one starts counting.
            if (run.Received < run.Expected)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    private static async Task MeasureIdleMemoryAsync(RunContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var count = options.IdleConnections;
        foreach (var system in options.Systems.Where(s => s is SystemKind.Bridge or SystemKind.SignalR))
        {
            var result = new MemoryResult(system, count, []);
            for (var rep = 0; rep < options.Repetitions; rep++)
            {
                await using var server = await StartTargetAsync(context, system, cancellationToken);
                await using (await ConnectFleetAsync(system, server.Endpoint, 10, cancellationToken))
                {
                    // Warm-up: the connection path's code is loaded and jitted before the baseline.
                }

                await Task.Delay(options.Settle, cancellationToken);
                var before = server.Process!.ResidentBytes();
                await using var fleet = await ConnectFleetAsync(system, server.Endpoint, count, cancellationToken);
                await Task.Delay(options.Settle, cancellationToken);
                var after = server.Process.ResidentBytes();
                result.BytesPerConnection.Add((after - before) / (double)count);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  idle memory {system}: {before / 1048576.0:F1} MB -> {after / 1048576.0:F1} MB with {count} connections: {(after - before) / 1024.0 / count:F1} KB each"));
            }

            context.Results.Memory.Add(result);
        }

        if (options.Systems.Contains(SystemKind.WebStomp))
        {
            // One sample only: the Erlang VM keeps what a fleet used after it disconnects, so a second
            // sample's baseline would already include the first fleet. It is context, not a target.
            var pid = await context.Node.GetVmPidAsync(cancellationToken);
            await Task.Delay(options.Settle, cancellationToken);
            var before = ChildProcess.ResidentBytesOf(pid);
            await using var fleet = await SubscriberFleet.ConnectAsync(SystemKind.WebStomp, context.Node.WebStompEndpoint, count, cancellationToken);
            await Task.Delay(options.Settle, cancellationToken);
            var after = ChildProcess.ResidentBytesOf(pid);
            context.Results.Memory.Add(new MemoryResult(SystemKind.WebStomp, count, [(after - before) / (double)count]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  idle memory webstomp: {before / 1048576.0:F1} MB -> {after / 1048576.0:F1} MB with {count} connections: {(after - before) / 1024.0 / count:F1} KB each"));
        }
    }

    private static async Task MeasureQueriesAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (context.Options.QueryStores.Contains(QueryStore.Embedded))
        {
            await using var bridge = await StartBridgeAsync(context, QueryBench.BridgeArguments, cancellationToken);
            var (store, folder) = QueryBench.OpenEmbeddedCopy(bridge.DataDirectory!);
            try
            {
                await MeasureQueriesOnAsync(context, "embedded", bridge.Process!.Port, store, cancellationToken);
            }
            finally
            {
                store.Dispose();
                Directory.Delete(folder, recursive: true);
            }
        }

        if (context.Options.QueryStores.Contains(QueryStore.MongoDb))
        {
            await using var mongo = await TimedAsync(
                context.Options.MongoUri is null ? "MongoDB stand-in" : "MongoDB at --mongo-uri", () => MongoStandIn.StartAsync(context.Options.MongoUri));
            context.Results.MongoServer = mongo.IsStandIn
                ? "the MongoDB wire-protocol stand-in (tests/mongo-standin: Node, bson, mingo; in memory)"
                : "the MongoDB server given with --mongo-uri";
            var database = "bridge_bench_" + Guid.NewGuid().ToString("N")[..8];
            using var store = new MongoDocumentStore(
                Options.Create(new MongoOptions { Uri = mongo.Uri, Database = database, OperationTimeout = TimeSpan.FromSeconds(30) }),
                TimeProvider.System,
                NullLogger<MongoDocumentStore>.Instance);
            await QueryBench.SeedAsync(store, cancellationToken);
            try
            {
                await using var bridge = await StartBridgeAsync(context, QueryBench.MongoArguments(mongo.Uri, database), cancellationToken);
                await MeasureQueriesOnAsync(context, "mongodb", bridge.Process!.Port, store, cancellationToken);
            }
            finally
            {
                // A real server keeps what the bench wrote; the stand-in forgets it when it stops. The bench's own
                // database goes whole, through the driver: the bridge's store has no bulk delete (nothing in it needs one).
                using var client = new MongoClient(mongo.Uri);
                await client.DropDatabaseAsync(database, CancellationToken.None);
            }
        }
    }

    private static async Task MeasureQueriesOnAsync(RunContext context, string storeName, int port, IDocumentStore store, CancellationToken cancellationToken)
    {
        var options = context.Options;
        if (options.ConcurrentQueryClients > 0)
        {
            await ConcurrentQueryBench.MeasureAsync(options, context.Results, storeName, port, store, cancellationToken);
        }

        if (options.QueryIterations == 0)
        {
            return;
        }

        var get = new QueryResult(storeName, "bridge", "get", []);
        var query = new QueryResult(storeName, "bridge", "query 100", []);
        var directGet = new QueryResult(storeName, "store", "get", []);
        var directQuery = new QueryResult(storeName, "store", "query 100", []);
        for (var rep = 0; rep < options.Repetitions; rep++)
        {
            get.Reps.Add(await QueryBench.ThroughBridgeAsync(port, QueryBench.GetRequest, options.QueryIterations, cancellationToken));
            query.Reps.Add(await QueryBench.ThroughBridgeAsync(port, QueryBench.QueryRequest, options.QueryIterations, cancellationToken));
            var (storeGet, storeQuery) = await QueryBench.DirectAsync(store, options.QueryIterations, cancellationToken);
            directGet.Reps.Add(storeGet);
            directQuery.Reps.Add(storeQuery);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  queries {storeName,-8}: bridge get p50 {get.Reps[^1].P50Ms:F3} ms, query p50 {query.Reps[^1].P50Ms:F3} ms; store get p50 {storeGet.P50Ms:F3} ms, query p50 {storeQuery.P50Ms:F3} ms"));
        }

        context.Results.Queries.AddRange([get, query, directGet, directQuery]);
    }

    private static async Task<Target> StartTargetAsync(RunContext context, SystemKind system, CancellationToken cancellationToken)
    {
        switch (system)
        {
            case SystemKind.Bridge:
                return await StartBridgeAsync(context, [], cancellationToken);
            case SystemKind.BridgeBefore:
                return await StartBridgeAsync(context with { BridgeDll = context.Options.BaselineBridgePath! }, [], cancellationToken);
            case SystemKind.SignalR:
                return await StartSignalRPeerAsync(context, cancellationToken);
            case SystemKind.WebStomp:
                return new Target(context.Node.WebStompEndpoint, context.Publisher, null, null) { ServerPid = await context.Node.GetVmPidAsync(cancellationToken) };
            default:
                var port = LoopbackPorts.Free(1)[0];
                var benchDll = typeof(BenchRunner).Assembly.Location;
                var ceiling = await ChildProcess.StartAsync(
                    "ceiling", [benchDll, CeilingServer.Command, "--port", port.ToString(CultureInfo.InvariantCulture)],
                    // The bridge is an ASP.NET Core app and gets the server GC; so does its ceiling.
                    new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" },
                    Path.GetDirectoryName(benchDll)!, port, "/ready", context.LogDirectory, cancellationToken);
                return new Target(new Uri($"ws://127.0.0.1:{port}/ws"), new CeilingPublisher(port), ceiling, null);
        }
    }

    private static async Task<Target> StartSignalRPeerAsync(RunContext context, CancellationToken cancellationToken)
    {
        var port = LoopbackPorts.Free(1)[0];
        var benchDll = typeof(BenchRunner).Assembly.Location;
        var peer = await ChildProcess.StartAsync(
            "signalr", [benchDll, SignalRPeerServer.Command, "--port", port.ToString(CultureInfo.InvariantCulture), "--amqp", context.Node.AmqpUri],
            // An ASP.NET Core app like the bridge: the server GC, and Production as the bridge runs.
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "1", ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            Path.GetDirectoryName(benchDll)!, port, "/ready", context.LogDirectory, cancellationToken);
        return new Target(new Uri($"http://127.0.0.1:{port}{BenchHub.Path}"), context.Publisher, peer, null);
    }

    internal static async Task<Target> StartBridgeAsync(RunContext context, IEnumerable<string> extraArguments, CancellationToken cancellationToken)
    {
        var port = LoopbackPorts.Free(1)[0];
        var dataDirectory = Directory.CreateTempSubdirectory("bridge-bench-data-").FullName;
        QueryBench.WriteCollection(dataDirectory);
        string[] arguments =
        [
            context.BridgeDll,
            "--urls", $"http://127.0.0.1:{port}",
            $"--Bridge:RabbitMq:Uri={context.Node.AmqpUri}",
            "--Bridge:Channels:AllowAnonymous=true",
            "--Bridge:Demo:Enabled=false",
            $"--Bridge:DataDirectory={dataDirectory}",
            // Per-connection Information logs would time the console, not the bridge.
            "--Logging:LogLevel:Default=Warning",
            .. extraArguments,
        ];
        var process = await ChildProcess.StartAsync(
            "bridge", arguments, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            Path.GetDirectoryName(context.BridgeDll)!, port, "/readyz", context.LogDirectory, cancellationToken);
        return new Target(new Uri($"ws://127.0.0.1:{port}/mq"), context.Publisher, process, dataDirectory);
    }

    private static async Task<T> TimedAsync<T>(string what, Func<Task<T>> action)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await action();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        return result;
    }

    private static string FindBridge()
    {
        // bench/Bridge.Bench/bin/<Configuration>/<tfm>/ → src/Bridge/bin/<Configuration>/<tfm>/Bridge.dll
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent?.Name ?? "Release";
        for (var directory = here; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Bridge", "bin", configuration, tfm, "Bridge.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"Bridge.dll was not found above {here.FullName}: build the solution, or pass --bridge PATH.");
    }

    private static long OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft is null or "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    internal sealed record RunContext(BenchOptions Options, string BridgeDll, RabbitMqServer Node, AmqpPublisher Publisher, string LogDirectory, BenchResults Results);

    /// <summary>What the subscribers connect to and how messages are published to it.</summary>
    internal sealed record Target(Uri Endpoint, IBenchPublisher Publisher, ChildProcess? Process, string? DataDirectory) : IAsyncDisposable
    {
        private readonly int? _serverPid;

        /// <summary>The process that does the server's work: the child, or RabbitMQ's VM for Web-STOMP.</summary>
        public int ServerPid
        {
            get => _serverPid ?? Process!.Pid;
            init => _serverPid = value;
        }

        public async ValueTask DisposeAsync()
        {
            if (Process is not null)
            {
                await Process.DisposeAsync();
            }

            if (DataDirectory is not null)
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
    }
}
