namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that share the 3-node cluster. They stop and start its nodes, so they run one at a time and
/// after the parallel tests (like <see cref="StandaloneNodeCollection"/>), and the cluster is started once.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqClusterCollection : ICollectionFixture<RabbitMqClusterFixture>
{
    public const string Name = "RabbitMQ cluster";
}
