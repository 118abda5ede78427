namespace Bridge.Observability;

/// <summary>
/// Which OpenTelemetry signals the host sets up: read once while the host is composed (the SDK's providers are
/// registered then or never), so a bad value fails at start naming its key, as every option does.
/// </summary>
/// <param name="Metrics"><c>Bridge:Metrics:Enabled</c> (default true): the OpenTelemetry meter provider and <c>/metrics</c>.</param>
/// <param name="Tracing"><c>Bridge:Tracing:Enabled</c> (default: on when an OTLP endpoint is set): spans.</param>
/// <param name="Otlp">An OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</param>
internal sealed record TelemetrySwitches(bool Metrics, bool Tracing, bool Otlp)
{
    public const string MetricsKey = MetricsOptions.SectionName + ":Enabled";
    public const string TracingKey = TracingOptions.SectionName + ":Enabled";

    public static TelemetrySwitches Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        return new TelemetrySwitches(
            Metrics: ReadSwitch(configuration, MetricsKey) ?? true,
            Tracing: ReadSwitch(configuration, TracingKey) ?? otlp,
            Otlp: otlp);
    }

    private static bool? ReadSwitch(IConfiguration configuration, string key)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return bool.TryParse(value.Trim(), out var parsed)
            ? parsed
            : throw new InvalidOperationException($"{key} must be true or false (was '{value}').");
    }
}
