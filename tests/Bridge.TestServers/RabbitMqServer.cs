using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Bridge.TestServers;

/// <summary>
/// A private RabbitMQ node (Debian's <c>rabbitmq-server</c>) run as a local process: its own node name,
/// AMQP and distribution ports, and data/log folders under a temp folder. See "Starting RabbitMQ from a
/// test fixture" in shared/specs/platform.md for why it is started this way.
/// </summary>
/// <remarks>
/// The node is started through a small shell watchdog that stops it when the test process goes away, so
/// that even a crashed test run leaves no node behind. The node's stdout/stderr go to its log folder.
/// It is started directly, not through Debian's su wrapper, so it inherits the caller's open-file limit
/// (the benchmark holds 5 000 Web-STOMP connections on it).
/// </remarks>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string UriVariable = "BRIDGE_TEST_AMQP_URI";

    private const string LibDirectory = "/usr/lib/rabbitmq/bin";
    private const string ServerScript = LibDirectory + "/rabbitmq-server";
    private const string CtlScript = LibDirectory + "/rabbitmqctl";
    private const string RabbitHome = "/var/lib/rabbitmq";

    // Generous: a node starts in 7–13 s on an idle 2-core machine, far slower when the suite loads it.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<RabbitMqServer>> Shared = new(StartSharedAsync);

    // The watchdog: runs the node and, when the test process ($3) is gone, stops it (TERM makes the server
    // script stop RabbitMQ cleanly; a node that hangs is killed after 20 s) and deletes its temp folder ($4).
    // It is how the shared node ends: a process-exit handler may be cut short, the watchdog is not.
    // $1 = server script, $2 = stdout/stderr log.
    private const string WatchdogScript = """
        "$1" >>"$2" 2>&1 &
        child=$!
        while kill -0 "$3" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -TERM "$child" 2>/dev/null
        i=0
        while kill -0 "$child" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.5; i=$((i+1)); done
        if kill -0 "$child" 2>/dev/null; then pkill -KILL -P "$child"; kill -KILL "$child"; fi
        wait "$child"
        if ! kill -0 "$3" 2>/dev/null; then rm -rf "$4"; fi
        """;

    private readonly string _root;
    private readonly int _distPort;
    private Process? _process;
    private bool _disposed;

    private RabbitMqServer(string root, string namePrefix, int amqpPort, int distPort, int? webStompPort)
    {
        _root = root;
        AmqpPort = amqpPort;
        _distPort = distPort;
        WebStompPort = webStompPort;
        NodeName = $"{namePrefix}-{amqpPort}@localhost";
    }

    public string NodeName { get; }

    public int AmqpPort { get; }

    public string AmqpUri => $"amqp://guest:guest@127.0.0.1:{AmqpPort}/";

    /// <summary>The Web-STOMP listener's port, when <see cref="RabbitMqServerOptions.WebStomp"/> enabled it.</summary>
    public int? WebStompPort { get; }

    /// <summary>Web-STOMP's WebSocket endpoint (<c>ws://127.0.0.1:PORT/ws</c>).</summary>
    public Uri WebStompEndpoint => WebStompPort is { } port
        ? new Uri($"ws://127.0.0.1:{port}/ws")
        : throw new InvalidOperationException("this node was started without Web-STOMP");

    public string LogDirectory => Path.Combine(_root, "log");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A new private node, started and ready.</summary>
    public static Task<RabbitMqServer> StartAsync() => StartAsync(new RabbitMqServerOptions());

    /// <summary>A new private node set up as <paramref name="options"/> say, started and ready.</summary>
    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerOptions options)
    {
        var server = Prepare(options);
        try
        {
            await server.RestartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A private node with its ports and folders chosen but not started (start it with <see cref="RestartAsync"/>).</summary>
    public static RabbitMqServer Prepare() => Prepare(new RabbitMqServerOptions());

    /// <inheritdoc cref="Prepare()"/>
    public static RabbitMqServer Prepare(RabbitMqServerOptions options)
    {
        if (!File.Exists(ServerScript) || !File.Exists(CtlScript))
        {
            throw new InvalidOperationException(
                $"RabbitMQ is not installed: {ServerScript} was not found. The broker integration tests start a private node " +
                $"from Debian's package: run `apt-get install rabbitmq-server`, or set {UriVariable} to a running broker.");
        }

        var root = Directory.CreateTempSubdirectory(options.NamePrefix + "-rabbitmq-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "mnesia"));
        Directory.CreateDirectory(Path.Combine(root, "log"));
        var ports = LoopbackPorts.FreeForRestarts(4);
        int? webStompPort = options.WebStomp ? ports[2] : null;
        var configuration = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listeners.tcp.default = 127.0.0.1:{ports[0]}")
            .AppendLine("loopback_users = none");
        if (webStompPort is { } port)
        {
            configuration
                .AppendLine(CultureInfo.InvariantCulture, $"web_stomp.tcp.port = {port}")
                .AppendLine("web_stomp.tcp.ip = 127.0.0.1")
                .AppendLine("web_stomp.max_connections = infinity")
                .AppendLine("web_stomp.ws_opts.idle_timeout = 3600000")
                .AppendLine("web_stomp.cowboy_opts.idle_timeout = 3600000")
                // Web-STOMP pulls in the plain STOMP plugin, which listens on 0.0.0.0:61613 by default: two
                // nodes (two benches at once) then collide, and a test server must stay on loopback.
                .AppendLine(CultureInfo.InvariantCulture, $"stomp.listeners.tcp.1 = 127.0.0.1:{ports[3]}");
        }

        File.WriteAllText(Path.Combine(root, "enabled_plugins"), options.WebStomp ? "[rabbitmq_web_stomp].\n" : "[].\n");
        File.WriteAllText(Path.Combine(root, "rabbitmq-env.conf"), string.Empty);
        File.WriteAllText(Path.Combine(root, "rabbitmq.conf"), configuration.ToString());
        return new RabbitMqServer(root, options.NamePrefix, ports[0], ports[1], webStompPort);
    }

    /// <summary>
    /// The broker for tests that need no node of their own: <c>BRIDGE_TEST_AMQP_URI</c> when set, else one
    /// private node shared by the whole test run (started on first use, stopped when the process exits).
    /// </summary>
    public static async Task<string> GetSharedUriAsync()
    {
        var configured = Environment.GetEnvironmentVariable(UriVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        return (await Shared.Value).AmqpUri;
    }

    /// <summary>Starts the node, stopping it first if it runs: same node name, data folder and ports.</summary>
    public async Task RestartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
        {
            await StopAsync();
        }

        var stdoutLog = Path.Combine(LogDirectory, "stdout.log");
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        foreach (var argument in new[] { "-c", WatchdogScript, "rabbitmq-watchdog", ServerScript, stdoutLog, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), _root })
        {
            startInfo.ArgumentList.Add(argument);
        }

        SetNodeEnvironment(startInfo);
        _process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start /bin/sh for rabbitmq-server.");

        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            // The AMQP listener opens at the end of boot; polling it avoids rabbitmqctl's 10 s "still booting"
            // wait and its failure when the node has not registered with epmd yet.
            var process = _process;
            await LoopbackPorts.WaitForListenerAsync(AmqpPort, () => process.HasExited, timeout.Token);
            await RunCtlAsync(timeout.Token, "await_startup", "--timeout", "150");
            if (WebStompPort is { } webStompPort)
            {
                await LoopbackPorts.WaitForListenerAsync(webStompPort, () => process.HasExited, timeout.Token);
            }
        }
        catch (Exception ex)
        {
            var tail = ReadLogTail();
            KillProcess();
            throw new InvalidOperationException(
                $"RabbitMQ node {NodeName} (AMQP port {AmqpPort}) did not start: {ex.Message}\n--- log tail ({LogDirectory}) ---\n{tail}", ex);
        }
    }

    /// <summary>Stops the node cleanly (<c>rabbitmqctl stop</c>), keeping its data for <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            if (!_process.HasExited)
            {
                await RunCtlAsync(timeout.Token, "stop");
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // rabbitmqctl failed or the node hangs: a hard kill still frees the ports for a restart.
            KillProcess();
        }
        finally
        {
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>
    /// Kills the node's VM and its watchdog (SIGKILL: no close frames to clients, no goodbye to cluster peers),
    /// as a crashed machine would; its data stays for <see cref="RestartAsync"/>.
    /// </summary>
    public Task KillAsync()
    {
        KillProcess();
        _process?.Dispose();
        _process = null;
        return Task.CompletedTask;
    }

    /// <summary>Runs <c>rabbitmqctl -n &lt;node&gt; ARGS</c> and returns its stdout; throws with its output when it fails.</summary>
    public Task<string> RunCtlAsync(CancellationToken cancellationToken, params string[] arguments) =>
        RunCtlCoreAsync(arguments, cancellationToken);

    /// <summary>The operating-system pid of the node's Erlang VM (for its CPU time and resident memory).</summary>
    public async Task<int> GetVmPidAsync(CancellationToken cancellationToken)
    {
        var output = await RunCtlAsync(cancellationToken, "eval", "os:getpid().");
        return int.Parse(output.Trim().Trim('"'), CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync()
    {
        DisposeNow();
        return ValueTask.CompletedTask;
    }

    private void DisposeNow()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        KillProcess();
        _process?.Dispose();
        _process = null;
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process: the temp folder is cleaned by the OS eventually.
        }
    }

    private async Task<string> RunCtlCoreAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(CtlScript)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-n");
        startInfo.ArgumentList.Add(NodeName);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        SetNodeEnvironment(startInfo);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start rabbitmqctl.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rabbitmqctl {string.Join(' ', arguments)} on {NodeName} did not finish in time.");
        }

        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} on {NodeName} exited with {process.ExitCode}: {output}{await stderr}");
        }

        return output;
    }


    private void SetNodeEnvironment(ProcessStartInfo startInfo)
    {
        var environment = startInfo.Environment;
        environment["HOME"] = RabbitHome;
        environment["RABBITMQ_NODENAME"] = NodeName;
        environment["RABBITMQ_DIST_PORT"] = _distPort.ToString(CultureInfo.InvariantCulture);
        environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_root, "mnesia");
        environment["RABBITMQ_LOG_BASE"] = LogDirectory;
        environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_root, "enabled_plugins");
        environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_root, "rabbitmq.conf");
        environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_root, "rabbitmq-env.conf");
        environment["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_root, "advanced.config");
    }

    private void KillProcess()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    private string ReadLogTail()
    {
        var builder = new StringBuilder();
        try
        {
            foreach (var file in Directory.EnumerateFiles(LogDirectory, "*.log"))
            {
                var lines = File.ReadAllLines(file);
                builder.Append("== ").Append(Path.GetFileName(file)).AppendLine(" ==");
                foreach (var line in lines.TakeLast(40))
                {
                    builder.AppendLine(line);
                }
            }
        }
        catch (IOException ex)
        {
            builder.AppendLine(ex.Message);
        }

        return builder.ToString();
    }


    private static async Task<RabbitMqServer> StartSharedAsync()
    {
        // Stopped by its watchdog once this process has exited (see WatchdogScript).
        return await StartAsync();
    }
}
