namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>Test classes that share the run's RabbitMQ node and must not run beside tests that restart it.</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection
{
    public const string Name = "RabbitMQ";
}
