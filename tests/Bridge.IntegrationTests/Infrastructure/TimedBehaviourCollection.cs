namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// Test classes that assert a wall-clock bound the bridge promises (a MongoDB outage answered within 2 s, every
/// hostile message of the fuzz suites answered within 1 s).
/// They run alone, after the parallel tests, so that what they time is the bridge and not a dozen other test
/// classes sharing the same two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedBehaviourCollection
{
    public const string Name = "Timed behaviour";
}
