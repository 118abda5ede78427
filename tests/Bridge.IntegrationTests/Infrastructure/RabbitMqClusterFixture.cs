namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// One 3-node RabbitMQ cluster on loopback for the whole <see cref="RabbitMqClusterCollection"/>, started once
/// (three nodes take 20–60 s to boot and join on a loaded 2-core machine) and removed at the end.
/// Tests that stop a node must start it again before they end (<see cref="RestoreAllNodesAsync"/>).
/// </summary>
public sealed class RabbitMqClusterFixture : IAsyncLifetime
{
    private RabbitMqCluster? _cluster;

    public RabbitMqCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public async Task InitializeAsync() => _cluster = await RabbitMqCluster.StartAsync(size: 3);

    /// <summary>Starts again every node a test stopped, so the next test finds the whole cluster.</summary>
    public async Task RestoreAllNodesAsync()
    {
        for (var index = 0; index < Cluster.Nodes.Count; index++)
        {
            if (!Cluster.Nodes[index].IsRunning)
            {
                await Cluster.StartNodeAsync(index);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
