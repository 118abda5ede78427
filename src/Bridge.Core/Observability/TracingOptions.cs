namespace Bridge.Observability;

/// <summary>Settings under <c>Bridge:Tracing</c>.</summary>
internal sealed class TracingOptions
{
    public const string SectionName = "Bridge:Tracing";

    /// <summary>
    /// Record spans. Null (the default) means: only when an OTLP endpoint is configured
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), since spans that go nowhere still cost an allocation per message.
    /// </summary>
    public bool? Enabled { get; set; }
}
