using System.Globalization;

namespace Bridge.TestServers;

/// <summary>
/// A RabbitMQ cluster on loopback: several private <see cref="RabbitMqServer"/> nodes (distinct node names,
/// AMQP, distribution and extra-listener ports) that share the Erlang cookie of <c>/var/lib/rabbitmq</c> and
/// are joined to the first with <c>join_cluster</c>. See "A RabbitMQ cluster on one machine" in
/// shared/specs/platform.md. Nodes can be stopped and started again on demand to test a node failure.
/// </summary>
/// <remarks>
/// Every node runs under the launcher's watchdog, so a crashed test run leaves no node behind. The nodes
/// boot in parallel (a boot is mostly waiting, so two cores take barely longer than for one node) and join
/// one after another (a join resets the joining node and syncs its tables from the first).
/// </remarks>
public sealed class RabbitMqCluster : IAsyncDisposable
{
    private static readonly TimeSpan CtlTimeout = TimeSpan.FromSeconds(120);

    private readonly RabbitMqServer[] _nodes;

    private RabbitMqCluster(RabbitMqServer[] nodes) => _nodes = nodes;

    /// <summary>The nodes, the first being the one the others joined.</summary>
    public IReadOnlyList<RabbitMqServer> Nodes => _nodes;

    /// <summary>Every node's AMQP URI (<c>amqp://guest:guest@127.0.0.1:PORT/</c>), in node order.</summary>
    public IReadOnlyList<string> AmqpUris => [.. _nodes.Select(node => node.AmqpUri)];

    /// <summary>Starts <paramref name="size"/> nodes and joins them into one cluster; returns once every node runs in it.</summary>
    public static async Task<RabbitMqCluster> StartAsync(int size = 3, string namePrefix = "bridge-cluster")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        var nodes = Enumerable.Range(0, size)
            .Select(index => RabbitMqServer.Prepare(new RabbitMqServerOptions { NamePrefix = namePrefix + index.ToString(CultureInfo.InvariantCulture) }))
            .ToArray();
        var cluster = new RabbitMqCluster(nodes);
        try
        {
            await Task.WhenAll(nodes.Select(node => node.RestartAsync()));
            using var timeout = new CancellationTokenSource(CtlTimeout);
            foreach (var node in nodes.Skip(1))
            {
                await JoinAsync(node, nodes[0], timeout.Token);
            }

            await cluster.WaitForRunningNodesAsync(size, timeout.Token);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops node <paramref name="index"/> cleanly (<c>rabbitmqctl stop</c>); it keeps its data and cluster membership.</summary>
    public Task StopNodeAsync(int index) => _nodes[index].StopAsync();

    /// <summary>Kills node <paramref name="index"/> (SIGKILL to its VM: a crash, no goodbye to clients or peers); it keeps its data.</summary>
    public Task KillNodeAsync(int index) => _nodes[index].KillAsync();

    /// <summary>Starts node <paramref name="index"/> again with its data; returns once the cluster has it running again.</summary>
    public async Task StartNodeAsync(int index)
    {
        await _nodes[index].RestartAsync();
        using var timeout = new CancellationTokenSource(CtlTimeout);
        await WaitForRunningNodesAsync(_nodes.Count(node => node.IsRunning), timeout.Token);
    }

    /// <summary>The names of the nodes the cluster reports running, asked of the first running node.</summary>
    public async Task<IReadOnlyList<string>> GetRunningNodesAsync(CancellationToken cancellationToken)
    {
        var node = _nodes.FirstOrDefault(candidate => candidate.IsRunning)
            ?? throw new InvalidOperationException("no node of the cluster is running");
        // An Erlang term, not the human table: its shape does not change between rabbitmqctl versions.
        var output = await node.RunCtlAsync(cancellationToken, "eval", "rabbit_nodes:all_running().");
        return [.. _nodes.Select(candidate => candidate.NodeName).Where(name => output.Contains("'" + name + "'", StringComparison.Ordinal))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task JoinAsync(RabbitMqServer node, RabbitMqServer first, CancellationToken cancellationToken)
    {
        await node.RunCtlAsync(cancellationToken, "stop_app");
        await node.RunCtlAsync(cancellationToken, "reset");
        await node.RunCtlAsync(cancellationToken, "join_cluster", first.NodeName);
        await node.RunCtlAsync(cancellationToken, "start_app");
        await node.RunCtlAsync(cancellationToken, "await_startup", "--timeout", "100");
    }

    private async Task WaitForRunningNodesAsync(int expected, CancellationToken cancellationToken)
    {
        while (true)
        {
            var running = await GetRunningNodesAsync(cancellationToken);
            if (running.Count >= expected)
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }
}
