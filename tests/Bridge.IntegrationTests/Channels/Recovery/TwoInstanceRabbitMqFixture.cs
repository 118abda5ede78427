using Bridge.Broker.Recovery;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>
/// Two bridge instances on the same RabbitMQ (the fixture's node): the test publishes as an external producer,
/// watches on the first instance and reconnects to the second, whose stream readers share the same offsets.
/// </summary>
public sealed class TwoInstanceRabbitMqFixture : RabbitMqBridgeFixture, IRecoveryFixture
{
    private Dictionary<string, string?>? _settings;
    private BridgeHost? _second;

    public BridgeHost Second => _second ?? throw new InvalidOperationException("the fixture has not started");

    public Uri ReconnectUri(string path) => Second.WebSocketUri(path);

    protected override Task AddSettingsAsync(Dictionary<string, string?> settings)
    {
        _settings = new Dictionary<string, string?>(settings);
        return Task.CompletedTask;
    }

    protected override async Task<BridgeHost> StartHostAsync()
    {
        var first = await base.StartHostAsync();
        _second = await BridgeHost.StartAsync(_settings);
        await Readiness.WaitUntilReadyAsync(_second, TimeSpan.FromSeconds(30));
        await WaitForStreamsAsync(first);
        await WaitForStreamsAsync(_second);
        return first;
    }

    public override async Task DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private static async Task WaitForStreamsAsync(BridgeHost host)
    {
        var log = host.Services.GetRequiredService<RabbitMqRecoveryLog>();
        await WaitUntil.TrueAsync(() => log.IsReady, () => "the recovery streams were not ready within 30 s",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
    }
}
