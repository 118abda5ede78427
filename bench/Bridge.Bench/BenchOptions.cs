using System.Globalization;

namespace Bridge.Bench;

/// <summary>What to measure and how often; every size and repetition is a command-line option.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        Bridge.Bench: fan-out throughput, latency, idle memory and query latency of the bridge, RabbitMQ Web-STOMP
        and a broker-less Kestrel ceiling, measured in one run on one private RabbitMQ node.

          --quick                    tiny sizes, one repetition (a few seconds)
          --subscribers 1,100,...    subscriber counts for throughput (default 1,100,200,1000,5000)
          --sizes 200,4096           payload sizes in bytes (default 200,4096)
          --deliveries N             deliveries per throughput run; messages = N / subscribers (default 200000)
          --min-messages N           at least this many messages per run (default 20)
          --max-messages N           at most this many messages per run (default 20000)
          --reps N                   repetitions of every figure; the median is reported (default 3)
          --latency-subscribers L    subscriber counts for the latency runs (default 100,1000)
          --latency-rate N           deliveries per second in the latency runs (default 5000)
          --latency-seconds N        length of one latency run (default 15: at 100 subscribers that is 750
                                     messages, so the p99 rests on several slow ones, not one)
          --latency-sizes L          payload sizes of the latency runs (default 200)
          --distinct L               distinct-watch counts: N clients each watching their own node, mq and
                                     filtered catalogs (default 100,1000,5000; empty skips them)
          --distinct-messages N      messages per distinct-watch run, one recipient each (default 20000)
          --distinct-rate N          also run every distinct-watch row at N messages per second, on the same
                                     clients after the fast runs: the same rate at every N (default 5000; 0
                                     skips them)
          --distinct-without-history also run the bridge's distinct watches with no recovery history on their
                                     exchanges (Bridge:Recovery:Exchanges:0=on.test), beside Web-STOMP in the
                                     same run: what the recovery streams cost RabbitMQ
          --baseline-bridge PATH     also run the fan-out rows, the distinct watches and the telemetry cost's
                                     metrics + tracing on this Bridge.dll (a build from before a change),
                                     for before/after figures from the same run
          --idle-connections N       idle connections for the memory figure (default 5000; 0 skips it)
          --many-connections N       idle watching connections on one bridge, opened by several client
                                     processes (default 19000; 0 skips it)
          --many-processes N         client processes they are spread over (default 2: each process may hold
                                     20 000 open files)
          --query-iterations N       requests per query-latency run (default 300; 0 skips it)
          --query-stores L           any of embedded,mongodb (default both)
          --concurrent-clients N     clients issuing get/query back to back on the query stores (default 50;
                                     0 skips it)
          --concurrent-seconds N     length of one concurrent-query run (default 5)
          --mongo-uri URI            a real mongod for the MongoDB queries (default: the stand-in in
                                     tests/mongo-standin, started by the bench; needs Node)
          --systems L                any of bridge,webstomp,ceiling,signalr (default all four; signalr is the
                                     .NET peer: a SignalR hub fed by a RabbitMQ consumer)
          --out DIR                  where results.json, results.md and chart.svg go (default bench-results)
          --bridge PATH              the built Bridge.dll (default: found next to this build)
          --filter-cost-events N     issue 11: an ordinary watcher's latency alone and beside 20 costly regex
                                     watches, N events per phase, embedded and RabbitMQ (default 0: skipped)
          --guessing-cost-events N   issue 11: an ordinary watcher's latency alone and while 8 clients guess
                                     passwords at full speed, N events per phase (default 0: skipped)
          --telemetry-cost L         issue 15: fan-out throughput with OpenTelemetry off, metrics only and
                                     metrics + tracing, at these subscriber counts (first --sizes payload,
                                     --reps repetitions each; default none: skipped)
          --recovery-cost L          issue 16: fan-out throughput with plain watches and with "recover": true
                                     (fed by the recovery stream), at these subscriber counts (first --sizes
                                     payload, --reps repetitions each; default none: skipped)
          --replay-messages N        issue 16: the replay rate: one recovering watcher away while N messages
                                     are published, then back with "since"; missed messages per second until
                                     "recovered" (--reps repetitions; default 0: skipped)
        """;

    public bool ShowHelp { get; private set; }

    public bool Quick { get; private set; }

    public IReadOnlyList<int> Subscribers { get; private set; } = [1, 100, 200, 1000, 5000];

    public IReadOnlyList<int> Sizes { get; private set; } = [200, 4096];

    public int Deliveries { get; private set; } = 200_000;

    public int MinMessages { get; private set; } = 20;

    public int MaxMessages { get; private set; } = 20_000;

    public int Repetitions { get; private set; } = 3;

    public IReadOnlyList<int> LatencySubscribers { get; private set; } = [100, 1000];

    public int LatencyRate { get; private set; } = 5000;

    public double LatencySeconds { get; private set; } = 15;

    public IReadOnlyList<int> LatencySizes { get; private set; } = [200];

    public int IdleConnections { get; private set; } = 5000;

    public IReadOnlyList<int> DistinctWatches { get; private set; } = [100, 1000, 5000];

    public int DistinctMessages { get; private set; } = 20_000;

    /// <summary>Messages per second of the distinct watches' paced rows (after the fast ones, on the same clients); 0: none.</summary>
    public int DistinctRate { get; private set; } = 5000;

    /// <summary>Whether the distinct watches also run on a bridge that keeps no recovery history for their exchanges.</summary>
    public bool DistinctWithoutHistory { get; private set; }

    /// <summary>A pre-change Bridge.dll to run the distinct watches and the telemetry cost's metrics + tracing on as well; null: only the current build.</summary>
    public string? BaselineBridgePath { get; private set; }

    public int ManyConnections { get; private set; } = 19_000;

    public int ManyConnectionsProcesses { get; private set; } = 2;

    public int QueryIterations { get; private set; } = 300;

    public int ConcurrentQueryClients { get; private set; } = 50;

    public TimeSpan ConcurrentQuerySeconds { get; private set; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<QueryStore> QueryStores { get; private set; } = [QueryStore.Embedded, QueryStore.MongoDb];

    /// <summary>A real MongoDB server for the query figures; null: the bench starts the stand-in.</summary>
    public string? MongoUri { get; private set; }

    public IReadOnlyList<SystemKind> Systems { get; private set; } = [SystemKind.Bridge, SystemKind.WebStomp, SystemKind.Ceiling, SystemKind.SignalR];

    /// <summary>Time for a server to finish what connecting set off (and its resident set to show it) before it is read.</summary>
    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(3);

    public string OutputDirectory { get; private set; } = "bench-results";

    public string? BridgePath { get; private set; }

    /// <summary>Events per phase of the filter-cost scenario (<see cref="FilterCostBench"/>); 0 skips it.</summary>
    public int FilterCostEvents { get; private set; }

    /// <summary>Events per phase of the password-guessing scenario (<see cref="GuessingCostBench"/>); 0 skips it.</summary>
    public int GuessingCostEvents { get; private set; }

    /// <summary>Subscriber counts of the telemetry on/off scenario (<see cref="TelemetryCostBench"/>); none skips it.</summary>
    public IReadOnlyList<int> TelemetryCostSubscribers { get; private set; } = [];

    /// <summary>Subscriber counts of the recovery on/off scenario (<see cref="RecoveryCostBench"/>); none skips it.</summary>
    public IReadOnlyList<int> RecoveryCostSubscribers { get; private set; } = [];

    /// <summary>Missed messages per replay of the replay-rate scenario (<see cref="ReplayRateBench"/>); 0 skips it.</summary>
    public int ReplayMessages { get; private set; }

    /// <summary>The command line as given, for the report.</summary>
    public string CommandLine { get; private set; } = string.Empty;

    public int MessagesFor(int subscribers) => Math.Clamp(Deliveries / Math.Max(1, subscribers), MinMessages, MaxMessages);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions { CommandLine = string.Join(' ', args) };
        if (args.Contains("--quick"))
        {
            options.Quick = true;
            options.Subscribers = [1, 20];
            options.Sizes = [200];
            options.Deliveries = 400;
            options.MinMessages = 20;
            options.Repetitions = 1;
            options.LatencySubscribers = [20];
            options.LatencyRate = 400;
            options.LatencySeconds = 1;
            options.IdleConnections = 50;
            options.DistinctWatches = [20];
            options.DistinctMessages = 400;
            options.ManyConnections = 100;
            options.QueryIterations = 20;
            options.ConcurrentQueryClients = 5;
            options.ConcurrentQuerySeconds = TimeSpan.FromSeconds(0.5);
            options.Settle = TimeSpan.FromSeconds(0.5);
        }

        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--quick":
                    break;
                case "--help" or "-h":
                    options.ShowHelp = true;
                    break;
                case "--subscribers":
                    options.Subscribers = IntList(name, Value(), allowEmpty: true);
                    break;
                case "--sizes":
                    options.Sizes = IntList(name, Value());
                    break;
                case "--deliveries":
                    options.Deliveries = Int(name, Value());
                    break;
                case "--min-messages":
                    options.MinMessages = Int(name, Value());
                    break;
                case "--max-messages":
                    options.MaxMessages = Int(name, Value());
                    break;
                case "--reps":
                    options.Repetitions = Int(name, Value());
                    break;
                case "--latency-subscribers":
                    options.LatencySubscribers = IntList(name, Value(), allowEmpty: true);
                    break;
                case "--latency-rate":
                    options.LatencyRate = Int(name, Value());
                    break;
                case "--latency-seconds":
                    options.LatencySeconds = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--latency-sizes":
                    options.LatencySizes = IntList(name, Value());
                    break;
                case "--distinct":
                    options.DistinctWatches = IntList(name, Value(), allowEmpty: true);
                    break;
                case "--distinct-without-history":
                    options.DistinctWithoutHistory = true;
                    break;
                case "--distinct-rate":
                    options.DistinctRate = Int(name, Value(), min: 0);
                    break;
                case "--distinct-messages":
                    options.DistinctMessages = Int(name, Value());
                    break;
                case "--baseline-bridge":
                    options.BaselineBridgePath = Value();
                    break;
                case "--idle-connections":
                    options.IdleConnections = Int(name, Value(), min: 0);
                    break;
                case "--many-connections":
                    options.ManyConnections = Int(name, Value(), min: 0);
                    break;
                case "--many-processes":
                    options.ManyConnectionsProcesses = Int(name, Value());
                    break;
                case "--query-iterations":
                    options.QueryIterations = Int(name, Value(), min: 0);
                    break;
                case "--concurrent-clients":
                    options.ConcurrentQueryClients = Int(name, Value(), min: 0);
                    break;
                case "--concurrent-seconds":
                    options.ConcurrentQuerySeconds = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--query-stores":
                    options.QueryStores = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseQueryStore)];
                    break;
                case "--mongo-uri":
                    options.MongoUri = Value();
                    break;
                case "--systems":
                    options.Systems = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseSystem)];
                    break;
                case "--out":
                    options.OutputDirectory = Value();
                    break;
                case "--bridge":
                    options.BridgePath = Value();
                    break;
                case "--filter-cost-events":
                    options.FilterCostEvents = Int(name, Value(), min: 0);
                    break;
                case "--guessing-cost-events":
                    options.GuessingCostEvents = Int(name, Value(), min: 0);
                    break;
                case "--telemetry-cost":
                    options.TelemetryCostSubscribers = IntList(name, Value(), allowEmpty: true);
                    break;
                case "--recovery-cost":
                    options.RecoveryCostSubscribers = IntList(name, Value(), allowEmpty: true);
                    break;
                case "--replay-messages":
                    options.ReplayMessages = Int(name, Value(), min: 0);
                    break;
                default:
                    throw new ArgumentException($"unknown option {name}");
            }
        }

        if (options.Sizes.Any(size => size < PayloadFormat.MinimumSize))
        {
            throw new ArgumentException($"--sizes: a payload needs at least {PayloadFormat.MinimumSize} bytes");
        }

        return options;
    }

    private static SystemKind ParseSystem(string name) => name.Trim().ToLowerInvariant() switch
    {
        "bridge" => SystemKind.Bridge,
        "webstomp" or "web-stomp" => SystemKind.WebStomp,
        "ceiling" => SystemKind.Ceiling,
        "signalr" => SystemKind.SignalR,
        _ => throw new ArgumentException($"--systems: unknown system '{name}' (bridge, webstomp, ceiling, signalr)"),
    };

    private static QueryStore ParseQueryStore(string name) => name.Trim().ToLowerInvariant() switch
    {
        "embedded" => QueryStore.Embedded,
        "mongodb" or "mongo" => QueryStore.MongoDb,
        _ => throw new ArgumentException($"--query-stores: unknown store '{name}' (embedded, mongodb)"),
    };

    private static int Int(string name, string value, int min = 1) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= min
            ? parsed
            : throw new ArgumentException($"{name}: '{value}' is not a whole number >= {min}");

    private static int[] IntList(string name, string value, bool allowEmpty = false)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 && !allowEmpty)
        {
            throw new ArgumentException($"{name} needs at least one value");
        }

        return [.. parts.Select(part => Int(name, part.Trim()))];
    }
}

/// <summary>The three servers measured side by side.</summary>
public enum SystemKind
{
    /// <summary>RabbitMQ → the bridge (child process) → WebSocket clients, with an <c>mq</c> watch.</summary>
    Bridge,

    /// <summary>RabbitMQ → its Web-STOMP plugin → the same kind of WebSocket clients, STOMP framing.</summary>
    WebStomp,

    /// <summary>No broker: a minimal Kestrel server (child process) broadcasting pre-encoded frames.</summary>
    Ceiling,

    /// <summary>The .NET peer: RabbitMQ → a SignalR hub (child process) broadcasting to a group → HubConnection clients.</summary>
    SignalR,

    /// <summary>The bridge built from before a change (<c>--baseline-bridge</c>), on the same rows as <see cref="Bridge"/>.</summary>
    BridgeBefore,
}

/// <summary>Where the query benchmark's collection lives.</summary>
public enum QueryStore
{
    /// <summary>The bridge's embedded store (its default, no server).</summary>
    Embedded,

    /// <summary>MongoDB through the bridge's MongoDocumentStore (MongoDB.Driver).</summary>
    MongoDb,
}
