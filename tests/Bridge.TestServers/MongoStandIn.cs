using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Bridge.TestServers;

/// <summary>
/// The MongoDB the tests talk to: the in-memory wire-protocol stand-in (<c>tests/mongo-standin/server.js</c>, test
/// infrastructure only) started as a local Node process on a free port, or a real <c>mongod</c> when
/// <c>BRIDGE_TEST_MONGO_URI</c> is set. Each user gets its own database name, so tests never see each other's data.
/// </summary>
public sealed class MongoStandIn : IAsyncDisposable
{
    public const string UriVariable = "BRIDGE_TEST_MONGO_URI";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string? _externalUri;
    private readonly string _commandLog;
    private StandInMode _mode;
    private Process? _process;

    private MongoStandIn(string? externalUri, int port, string commandLog, StandInMode mode)
    {
        _externalUri = externalUri;
        Port = port;
        _commandLog = commandLog;
        _mode = mode;
    }

    /// <summary>True for the stand-in (whose command log can be read and which can be stopped and started).</summary>
    public bool IsStandIn => _externalUri is null;

    public int Port { get; }

    public string Uri => _externalUri ?? $"mongodb://127.0.0.1:{Port}/";

    public static string NewDatabaseName() => "bridge_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The stand-in, started and listening; or the server of <c>BRIDGE_TEST_MONGO_URI</c>.</summary>
    /// <param name="mode">How the stand-in answers (ignored for a real server, which is what it is).</param>
    public static Task<MongoStandIn> StartAsync(StandInMode mode = StandInMode.ReplicaSet) => StartAsync(Environment.GetEnvironmentVariable(UriVariable), mode);

    /// <summary>The server at <paramref name="externalUri"/> when one is given; else the stand-in, started and listening.</summary>
    public static async Task<MongoStandIn> StartAsync(string? externalUri, StandInMode mode = StandInMode.ReplicaSet)
    {
        if (externalUri is { Length: > 0 } external)
        {
            return new MongoStandIn(external, 0, "", mode);
        }

        var commandLog = Path.Combine(Directory.CreateTempSubdirectory("bridge-mongo-standin-").FullName, "commands.jsonl");
        var server = new MongoStandIn(null, LoopbackPorts.FreeForRestarts(1)[0], commandLog, mode);
        await server.RestartAsync();
        return server;
    }

    /// <summary>
    /// Starts the stand-in again on the same port. Its data is gone (it keeps everything in memory) unless it runs
    /// in <see cref="StandInMode.ReplicaSetKeepingData"/>, where it replays its journal: data, change history and
    /// resume tokens survive, as with a real server.
    /// </summary>
    public async Task RestartAsync()
    {
        RequireStandIn();
        await StopAsync();
        var folder = StandInFolder();
        if (!Directory.Exists(Path.Combine(folder, "node_modules")))
        {
            await RunAsync("npm", "ci --no-audit --no-fund", folder, TimeSpan.FromMinutes(3));
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[] { "server.js", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--command-log", _commandLog, "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        if (_mode == StandInMode.Standalone)
        {
            start.ArgumentList.Add("--standalone");
        }
        else if (_mode == StandInMode.ReplicaSetKeepingData)
        {
            start.ArgumentList.Add("--data-file");
            start.ArgumentList.Add(Path.Combine(Path.GetDirectoryName(_commandLog)!, "data.jsonl"));
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        _process = process;
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Contains("listening", StringComparison.Ordinal))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new TimeoutException($"the MongoDB stand-in did not start listening on port {Port} within {StartTimeout.TotalSeconds} s");
    }

    /// <summary>
    /// Starts the stand-in again on the same port in another mode: e.g. a replica set member coming back as a
    /// standalone server, which then refuses change streams (40573).
    /// </summary>
    public Task RestartAsync(StandInMode mode)
    {
        RequireStandIn();
        _mode = mode;
        return RestartAsync();
    }

    /// <summary>Stops the stand-in (as if MongoDB went down); the port stays reserved for <see cref="RestartAsync()"/>.</summary>
    public async Task StopAsync()
    {
        RequireStandIn();
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            process.Dispose();
        }
    }

    /// <summary>Every command the stand-in received, oldest first (each entry: <c>{at, db, command}</c>).</summary>
    public IReadOnlyList<JsonObject> CommandLog()
    {
        RequireStandIn();
        if (!File.Exists(_commandLog))
        {
            return [];
        }

        using var stream = new FileStream(_commandLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var entries = new List<JsonObject>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                entries.Add(JsonNode.Parse(line)!.AsObject());
            }
        }

        return entries;
    }

    public async ValueTask DisposeAsync()
    {
        if (IsStandIn)
        {
            await StopAsync();
            var folder = Path.GetDirectoryName(_commandLog)!;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private void RequireStandIn()
    {
        if (!IsStandIn)
        {
            throw new InvalidOperationException($"only the stand-in can do this; {UriVariable} points at a real server");
        }
    }

    private static string StandInFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "mongo-standin");
            if (File.Exists(Path.Combine(candidate, "server.js")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/mongo-standin not found above " + AppContext.BaseDirectory);
    }

    private static async Task RunAsync(string file, string arguments, string directory, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, UseShellExecute = false })
            ?? throw new InvalidOperationException($"could not start {file}");
        await process.WaitForExitAsync().WaitAsync(timeout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' in {directory} exited with {process.ExitCode}");
        }
    }

}
