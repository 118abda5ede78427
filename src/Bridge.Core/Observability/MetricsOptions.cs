using System.ComponentModel.DataAnnotations;

namespace Bridge.Observability;

/// <summary>Settings under <c>Bridge:Metrics</c>.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "Bridge:Metrics";

    /// <summary>
    /// Set up OpenTelemetry's meter provider (and <see cref="Path"/>). Off, the bridge's instruments are still counted
    /// for the dashboard's operations strip, but nothing exports them; read at start by <see cref="TelemetrySwitches"/>.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the Prometheus text format is served; empty switches the endpoint off.</summary>
    [RegularExpression("^(/[A-Za-z0-9._~/-]*)?$", ErrorMessage = "Bridge:Metrics:Path must be empty or a path starting with '/'.")]
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// Serve <see cref="Path"/> and <c>/api/operations</c> without a token to callers that are not on loopback.
    /// Off by default: metrics name exchanges, resources and error rates, which an operator may not want public.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}
