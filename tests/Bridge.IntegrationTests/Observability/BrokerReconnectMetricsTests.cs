using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// <c>bridge_broker_reconnects_total</c> across a real RabbitMQ restart (issue 15): the node this test owns is
/// stopped and started again under a running bridge, and the series counts one <c>lost</c> and one
/// <c>recovered</c>, in that order.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class BrokerReconnectMetricsTests
{
    private const string Series = "bridge_broker_reconnects_total";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task RabbitMqRestart_CountsOneLostAndOneRecovered()
    {
        await using var server = await RabbitMqServer.StartAsync().WaitAsync(Timeout);
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:RabbitMq:Uri"] = server.AmqpUri });
        await Readiness.WaitUntilReadyAsync(host, Timeout);
        var before = await MetricsScrape.ReadAsync(host);

        await server.StopAsync().WaitAsync(Timeout);
        var lost = await WaitForAsync(host, s => s.Value(Series, "state=lost") >= before.Value(Series, "state=lost") + 1);
        Assert.Equal(before.Value(Series, "state=recovered"), lost.Value(Series, "state=recovered"));

        await server.RestartAsync().WaitAsync(Timeout);
        await Readiness.WaitUntilReadyAsync(host, Timeout);
        var recovered = await WaitForAsync(host, s => s.Value(Series, "state=recovered") >= before.Value(Series, "state=recovered") + 1);

        Assert.Equal(before.Value(Series, "state=lost") + 1, recovered.Value(Series, "state=lost"));
        Assert.Equal(before.Value(Series, "state=recovered") + 1, recovered.Value(Series, "state=recovered"));
        Assert.All(recovered.Samples.Where(s => s.Name == Series), s => Assert.Equal(["state"], s.Labels.Keys.Where(k => !k.StartsWith("otel_", StringComparison.Ordinal))));
    }

    private static Task<MetricsScrape> WaitForAsync(BridgeHost host, Func<MetricsScrape, bool> done) =>
        WaitUntil.ValueAsync(() => MetricsScrape.ReadAsync(host), done,
            static scrape => $"{Series} never reached the expected value; last scrape:\n" + string.Join('\n', scrape.Text.Split('\n').Where(l => l.Contains("broker", StringComparison.Ordinal))),
            Timeout, TimeSpan.FromMilliseconds(200));
}
