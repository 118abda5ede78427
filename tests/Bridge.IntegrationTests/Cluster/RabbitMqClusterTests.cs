using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Cluster;

/// <summary>The test cluster itself: three nodes in one cluster, a node stopped and started on demand.</summary>
[Collection(RabbitMqClusterCollection.Name)]
public sealed class RabbitMqClusterTests(RabbitMqClusterFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => fixture.RestoreAllNodesAsync();

    public Task DisposeAsync() => fixture.RestoreAllNodesAsync();

    [Fact]
    public async Task Cluster_AfterStart_RunsThreeNodesWithDistinctPortsAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var running = await fixture.Cluster.GetRunningNodesAsync(timeout.Token);

        Assert.Equal(fixture.Cluster.Nodes.Select(node => node.NodeName).Order(), running.Order());
        Assert.Equal(3, fixture.Cluster.Nodes.Select(node => node.AmqpPort).Distinct().Count());
    }

    [Fact]
    public async Task Cluster_ExchangeDeclaredOnOneNode_IsSeenOnAnotherAsync()
    {
        var exchange = "cluster-test." + Guid.NewGuid().ToString("N");
        await using (var first = await ConnectAsync(fixture.Cluster.AmqpUris[0]))
        await using (var channel = await first.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false);
        }

        await using var third = await ConnectAsync(fixture.Cluster.AmqpUris[2]);
        await using var other = await third.CreateChannelAsync();
        await other.ExchangeDeclarePassiveAsync(exchange);
        await other.ExchangeDeleteAsync(exchange);
    }

    [Fact]
    public async Task StopNode_ThenStartNode_LeavesTwoThenThreeRunningAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await fixture.Cluster.StopNodeAsync(1);

        var running = await fixture.Cluster.GetRunningNodesAsync(timeout.Token);
        Assert.DoesNotContain(fixture.Cluster.Nodes[1].NodeName, running);
        Assert.Equal(2, running.Count);
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(fixture.Cluster.AmqpUris[1]));

        await fixture.Cluster.StartNodeAsync(1);
        Assert.Equal(3, (await fixture.Cluster.GetRunningNodesAsync(timeout.Token)).Count);
        await using var connection = await ConnectAsync(fixture.Cluster.AmqpUris[1]);
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task KillNode_ThenStartNode_RejoinsTheClusterAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await fixture.Cluster.KillNodeAsync(2);
        await fixture.Cluster.StartNodeAsync(2);

        Assert.Contains(fixture.Cluster.Nodes[2].NodeName, await fixture.Cluster.GetRunningNodesAsync(timeout.Token));
    }

    private static Task<IConnection> ConnectAsync(string uri) =>
        new ConnectionFactory { Uri = new Uri(uri), AutomaticRecoveryEnabled = false }.CreateConnectionAsync().WaitAsync(Timeout);
}
