using System.Net;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// <c>Bridge:Metrics:Enabled=false</c> with <c>Bridge:Tracing:Enabled=false</c> (the bench's "OpenTelemetry off"): no
/// meter provider, so <c>/metrics</c> is not served; the dashboard's operations strip, which is not OpenTelemetry, still is.
/// </summary>
public sealed class MetricsSwitchedOffTests : IAsyncLifetime
{
    private BridgeHost? _host;

    public async Task InitializeAsync() =>
        _host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Metrics:Enabled"] = "false",
            ["Bridge:Tracing:Enabled"] = "false",
        });

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task MetricsPath_IsNotServed_WhileTheOperationsStripIs()
    {
        using var http = new HttpClient { BaseAddress = _host!.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        using var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var operations = await http.GetAsync(new Uri("/api/operations", UriKind.Relative));

        // Not the Prometheus endpoint: whatever answers an unknown path (here the channel front's refusal).
        Assert.False(metrics.IsSuccessStatusCode, $"GET /metrics answered {(int)metrics.StatusCode}");
        Assert.DoesNotContain("# TYPE", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, operations.StatusCode);
        Assert.NotNull(JsonNode.Parse(await operations.Content.ReadAsStringAsync())!["broker"]);
        Assert.Null(_host.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }
}
