using System.Text;
using Bridge.Broker;
using Bridge.Client.Ledger;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Clients;

/// <summary>The .NET ledger client against the bridge's real <c>/websocket</c> (the fake-server tests pin the protocol details).</summary>
[Collection(LedgerCollection.Name)]
public sealed class LedgerNotificationClientBridgeTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const string Base = LedgerBridgeFixture.LedgerBase;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Client_LogsInSubscribesAndReceivesItsAccountsTransfers_NotOthers()
    {
        await LedgerBridgeFixture.WaitUntilSubscribedAsync(fixture.Host);
        await using var client = new LedgerNotificationClient(new LedgerClientOptions
        {
            BaseUri = fixture.Host.BaseUri,
            Account = "carl",
            Password = LedgerBridgeFixture.PasswordOf("carl"),
        });
        await client.ConnectAsync().WaitAsync(Timeout);

        var subscribed = await client.SubscribeAccountAsync([$"{Base}/accounts/carl"], "transfer.*").WaitAsync(Timeout);
        await fixture.PublishAsync("transfer.create", LedgerBridgeFixture.Transfer("alice", "bob", "prepared"));
        await fixture.PublishAsync("transfer.create", LedgerBridgeFixture.Transfer("alice", "carl", "prepared"));
        var notification = await client.ReadNotificationAsync(Timeout);

        Assert.Equal(1, subscribed);
        Assert.Equal("transfer.create", notification.Event);
        Assert.Equal($"{Base}/accounts/carl", (string?)notification.Resource!["credits"]![0]!["account"]);
        // The alice → bob transfer is not carl's: nothing more arrives.
        await Assert.ThrowsAsync<TimeoutException>(() => client.ReadNotificationAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Client_NonAdminCallingAnAdminMethod_GetsTheRpcError()
    {
        await using var client = new LedgerNotificationClient(new LedgerClientOptions
        {
            BaseUri = fixture.Host.BaseUri,
            Account = "carl",
            Password = LedgerBridgeFixture.PasswordOf("carl"),
        });
        await client.ConnectAsync().WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<LedgerRpcException>(() => client.SubscribeAllAccountsAsync().WaitAsync(Timeout));

        Assert.Equal(40300, error.Code);
    }

    [Fact]
    public async Task BridgeRestart_ClientReconnectsByItself_AndKeepsReceivingItsAccountsTransfers()
    {
        // Its own bridge: restarting the class fixture's would pull it from under the other tests.
        var host = await BridgeHost.StartAsync(LedgerBridgeFixture.LedgerSettings());
        try
        {
            await LedgerBridgeFixture.WaitUntilSubscribedAsync(host);
            await using var client = new LedgerNotificationClient(new LedgerClientOptions
            {
                BaseUri = host.BaseUri,
                Account = "carl",
                Password = LedgerBridgeFixture.PasswordOf("carl"),
                ReconnectDelay = TimeSpan.FromMilliseconds(100),
                MaxReconnectDelay = TimeSpan.FromSeconds(1),
            });
            var reconnected = new TaskCompletionSource<LedgerReconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.Reconnected += (_, args) => reconnected.TrySetResult(args);
            await client.ConnectAsync().WaitAsync(Timeout);
            await client.SubscribeAccountAsync([$"{Base}/accounts/carl"], "transfer.*").WaitAsync(Timeout);

            // Same port, same data directory, same accounts: what an operator's restart looks like to a client.
            var baseUri = host.BaseUri;
            var dataDirectory = host.DataDirectory;
            await host.DisposeAsync();
            host = await StartOnPortAsync(baseUri, dataDirectory);
            await LedgerBridgeFixture.WaitUntilSubscribedAsync(host);

            var restored = await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await PublishAsync(host, LedgerBridgeFixture.Transfer("alice", "bob", "prepared"));
            await PublishAsync(host, LedgerBridgeFixture.Transfer("alice", "carl", "prepared"));
            var notification = await client.ReadNotificationAsync(Timeout);

            Assert.Equal(1, restored.SubscriptionsRestored);
            Assert.Equal("transfer.create", notification.Event);
            Assert.Equal($"{Base}/accounts/carl", (string?)notification.Resource!["credits"]![0]!["account"]);
            await Assert.ThrowsAsync<TimeoutException>(() => client.ReadNotificationAsync(TimeSpan.FromMilliseconds(500)));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<BridgeHost> StartOnPortAsync(Uri baseUri, string dataDirectory)
    {
        // The old listener's port can take a moment to be free again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BridgeHost.StartAsync(LedgerBridgeFixture.LedgerSettings(), dataDirectory, baseUri);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    private static Task PublishAsync(BridgeHost host, string json) =>
        host.Services.GetRequiredService<IBroker>()
            .PublishAsync("ledger", "transfer.create", Encoding.UTF8.GetBytes(json), CancellationToken.None)
            .AsTask().WaitAsync(Timeout);

}
