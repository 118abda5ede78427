using System.Text.Json.Nodes;
using Bridge.Client.Ledger;
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
        await fixture.PublishAsync("transfer.create", Transfer("alice", "bob", "prepared"));
        await fixture.PublishAsync("transfer.create", Transfer("alice", "carl", "prepared"));
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

    private static string Transfer(string debit, string credit, string state) => new JsonObject
    {
        ["resource"] = new JsonObject
        {
            ["id"] = $"{Base}/transfers/{Guid.NewGuid()}",
            ["ledger"] = Base,
            ["debits"] = new JsonArray(new JsonObject { ["account"] = $"{Base}/accounts/{debit}", ["amount"] = "1", ["authorized"] = true }),
            ["credits"] = new JsonArray(new JsonObject { ["account"] = $"{Base}/accounts/{credit}", ["amount"] = "1" }),
            ["state"] = state,
        },
    }.ToJsonString();
}
