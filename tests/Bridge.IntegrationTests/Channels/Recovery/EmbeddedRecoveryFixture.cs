using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels.Recovery;

/// <summary>One embedded bridge: the in-memory recovery log; a client reconnects to the same instance.</summary>
public sealed class EmbeddedRecoveryFixture : BridgeFixture, IRecoveryFixture
{
    public Uri ReconnectUri(string path) => WebSocketUri(path);

    public override async Task PublishAsync(string exchange, string routingKey, string json) =>
        await Host.Services.GetRequiredService<IBroker>().PublishAsync(exchange, routingKey, Encoding.UTF8.GetBytes(json), CancellationToken.None);

    protected override Task<BridgeHost> StartHostAsync() => BridgeHost.StartAsync(SuiteSettings());
}
