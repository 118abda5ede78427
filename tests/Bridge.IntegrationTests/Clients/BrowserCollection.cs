namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Chromium, Node and fast demo producers are CPU-heavy on a 2-core machine: run these tests on their own,
/// after the parallel collections, so they never starve the RabbitMQ nodes other fixtures start.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser and Node clients";
}
