using Bridge.Observability;
using Microsoft.Extensions.Configuration;

namespace Bridge.UnitTests.Observability;

/// <summary><c>Bridge:Metrics:Enabled</c> and <c>Bridge:Tracing:Enabled</c>: their defaults, and a bad value failing at start naming the key.</summary>
public sealed class TelemetrySwitchesTests
{
    private static TelemetrySwitches Read(Dictionary<string, string?> values) =>
        TelemetrySwitches.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Defaults_MetricsOnTracingOff()
    {
        Assert.Equal(new TelemetrySwitches(Metrics: true, Tracing: false, Otlp: false), Read([]));
    }

    [Fact]
    public void AnOtlpEndpoint_SwitchesTracingOnUnlessSaidOtherwise()
    {
        Assert.True(Read(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317" }).Tracing);
        Assert.False(Read(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317", ["Bridge:Tracing:Enabled"] = "false" }).Tracing);
    }

    [Fact]
    public void BothSwitchedOff_AreOff()
    {
        var switches = Read(new() { ["Bridge:Metrics:Enabled"] = "False", ["Bridge:Tracing:Enabled"] = " false " });

        Assert.False(switches.Metrics);
        Assert.False(switches.Tracing);
    }

    [Theory]
    [InlineData("Bridge:Metrics:Enabled")]
    [InlineData("Bridge:Tracing:Enabled")]
    public void ABadValue_FailsNamingTheKey(string key)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Read(new() { [key] = "maybe" }));

        Assert.Equal($"{key} must be true or false (was 'maybe').", ex.Message);
    }
}
