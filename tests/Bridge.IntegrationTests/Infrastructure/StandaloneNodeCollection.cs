namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that start RabbitMQ nodes of their own (the acknowledgement tests, the benchmark's quick run).
/// They run after the parallel tests and alone, so that their node start-ups do not slow the other classes'
/// bounded start-ups on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StandaloneNodeCollection
{
    public const string Name = "Standalone RabbitMQ nodes";
}
