using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bridge.Bench;

/// <summary>
/// A private RabbitMQ node with the Web-STOMP plugin, run from Debian's package the way the integration
/// tests run theirs (see shared/specs/platform.md): own node name, ports and folders under a temp folder,
/// started directly (not through the su wrapper) so that it inherits the bench's open-file limit, and
/// watched by a shell loop that stops it when the bench process goes away.
/// </summary>
public sealed class RabbitMqNode : IAsyncDisposable
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string CtlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";

    // $1 server script, $2 log file, $3 the bench's pid, $4 the node's folder.
    private const string WatchdogScript = """
        "$1" >>"$2" 2>&1 &
        child=$!
        while kill -0 "$3" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -TERM "$child" 2>/dev/null
        i=0
        while kill -0 "$child" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.5; i=$((i+1)); done
        if kill -0 "$child" 2>/dev/null; then pkill -KILL -P "$child"; kill -KILL "$child"; fi
        wait "$child"
        rm -rf "$4"
        """;

    private readonly string _root;
    private readonly int _distPort;
    private Process? _watchdog;

    private RabbitMqNode(string root, int amqpPort, int distPort, int webStompPort)
    {
        _root = root;
        _distPort = distPort;
        AmqpPort = amqpPort;
        WebStompPort = webStompPort;
        NodeName = $"bridge-bench-{amqpPort}@localhost";
    }

    public string NodeName { get; }

    public int AmqpPort { get; }

    public int WebStompPort { get; }

    public string AmqpUri => $"amqp://guest:guest@127.0.0.1:{AmqpPort}/";

    public Uri WebStompEndpoint => new($"ws://127.0.0.1:{WebStompPort}/ws");

    public static async Task<RabbitMqNode> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException($"RabbitMQ is not installed ({ServerScript} is missing): apt-get install rabbitmq-server");
        }

        var root = Directory.CreateTempSubdirectory("bridge-bench-rabbitmq-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "mnesia"));
        Directory.CreateDirectory(Path.Combine(root, "log"));
        var ports = Ports.Free(3);
        var node = new RabbitMqNode(root, ports[0], ports[1], ports[2]);
        await File.WriteAllTextAsync(Path.Combine(root, "enabled_plugins"), "[rabbitmq_web_stomp].\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "rabbitmq-env.conf"), string.Empty, cancellationToken);
        // Cowboy closes a WebSocket that has not received anything for 60 s by default, and subscribers only
        // listen: an hour keeps the big runs' connections open (the bridge's clients answer its pings instead).
        await File.WriteAllTextAsync(Path.Combine(root, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{node.AmqpPort}
            loopback_users = none
            web_stomp.tcp.port = {node.WebStompPort}
            web_stomp.tcp.ip = 127.0.0.1
            web_stomp.max_connections = infinity
            web_stomp.ws_opts.idle_timeout = 3600000
            web_stomp.cowboy_opts.idle_timeout = 3600000
            """ + "\n", cancellationToken);

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", WatchdogScript, "rabbitmq-bench-watchdog", ServerScript, Path.Combine(root, "log", "stdout.log"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), root })
        {
            start.ArgumentList.Add(argument);
        }

        node.SetEnvironment(start);
        node._watchdog = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(90));
            await Ports.WaitForListenerAsync(node.AmqpPort, () => node._watchdog.HasExited, timeout.Token);
            await node.CtlAsync(timeout.Token, "await_startup", "--timeout", "60");
            await Ports.WaitForListenerAsync(node.WebStompPort, () => node._watchdog.HasExited, timeout.Token);
            return node;
        }
        catch
        {
            var log = string.Join('\n', Directory.EnumerateFiles(Path.Combine(root, "log")).SelectMany(f => File.ReadLines(f).TakeLast(20)));
            await node.DisposeAsync();
            throw new InvalidOperationException($"RabbitMQ node {node.NodeName} did not start; log tail:\n{log}");
        }
    }

    /// <summary>The operating-system pid of the node's Erlang VM (for its resident memory).</summary>
    public async Task<int> GetVmPidAsync(CancellationToken cancellationToken)
    {
        var output = await CtlAsync(cancellationToken, "eval", "os:getpid().");
        return int.Parse(output.Trim().Trim('"'), CultureInfo.InvariantCulture);
    }

    public async Task<string> CtlAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(CtlScript)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(NodeName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        SetEnvironment(start);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start rabbitmqctl");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stdout}{await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_watchdog is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await CtlAsync(timeout.Token, "stop");
            await _watchdog.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            if (!_watchdog.HasExited)
            {
                _watchdog.Kill(entireProcessTree: true);
            }
        }

        _watchdog.Dispose();
        _watchdog = null;
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // The watchdog removes it too once the node is gone.
        }
    }

    private void SetEnvironment(ProcessStartInfo start)
    {
        var environment = start.Environment;
        environment["HOME"] = "/var/lib/rabbitmq";
        environment["RABBITMQ_NODENAME"] = NodeName;
        environment["RABBITMQ_DIST_PORT"] = _distPort.ToString(CultureInfo.InvariantCulture);
        environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_root, "mnesia");
        environment["RABBITMQ_LOG_BASE"] = Path.Combine(_root, "log");
        environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_root, "enabled_plugins");
        environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_root, "rabbitmq.conf");
        environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_root, "rabbitmq-env.conf");
        environment["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_root, "advanced.config");
    }
}

/// <summary>Loopback ports and listeners.</summary>
public static class Ports
{
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }

    public static async Task WaitForListenerAsync(int port, Func<bool> hasExited, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (hasExited())
            {
                throw new InvalidOperationException($"the process that should listen on port {port} exited");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
