namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// Test classes that read <c>/metrics</c> and assert exact deltas. OpenTelemetry listens to every meter named
/// <c>Bridge</c> in the process, so these run alone, after the parallel tests, where no other bridge adds to the counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}
