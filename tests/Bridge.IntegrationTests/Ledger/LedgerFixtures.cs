using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Ledger;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Ledger;

/// <summary>A bridge posing as the ledger of the reference transcript (<c>http://localhost:3100</c>), with its accounts.</summary>
public abstract class LedgerBridgeFixture : IAsyncLifetime
{
    public const string LedgerBase = "http://localhost:3100";

    /// <summary>A transfer event as the ledger publishes it: 1 unit from <paramref name="debit"/> to <paramref name="credit"/>.</summary>
    public static string Transfer(string debit, string credit, string state = "executed") => new JsonObject
    {
        ["resource"] = new JsonObject
        {
            ["id"] = $"{LedgerBase}/transfers/{Guid.NewGuid()}",
            ["ledger"] = LedgerBase,
            ["debits"] = new JsonArray(new JsonObject { ["account"] = $"{LedgerBase}/accounts/{debit}", ["amount"] = "1", ["authorized"] = true }),
            ["credits"] = new JsonArray(new JsonObject { ["account"] = $"{LedgerBase}/accounts/{credit}", ["amount"] = "1" }),
            ["state"] = state,
        },
    }.ToJsonString();

    private BridgeHost? _host;

    public BridgeHost Host => _host ?? throw new InvalidOperationException("the fixture has not started");

    /// <summary>Extra settings (e.g. strict five-bells mode) for a derived fixture.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public static Dictionary<string, string?> LedgerSettings(string publicUrl = LedgerBase) => new()
    {
        ["Bridge:PublicUrl"] = publicUrl,
        ["Bridge:Accounts:0:Name"] = "alice",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("alice-password"),
        ["Bridge:Accounts:1:Name"] = "bob",
        ["Bridge:Accounts:1:PasswordHash"] = TestPasswords.Hash("bob-password"),
        ["Bridge:Accounts:2:Name"] = "carl",
        ["Bridge:Accounts:2:PasswordHash"] = TestPasswords.Hash("carl-password"),
        ["Bridge:Accounts:3:Name"] = "admin",
        ["Bridge:Accounts:3:PasswordHash"] = TestPasswords.Hash("admin-password"),
        ["Bridge:Accounts:3:IsAdmin"] = "true",
        ["Bridge:Ledger:Connectors:0"] = "bob",
    };

    public static string PasswordOf(string account) => account + "-password";

    public abstract Task PublishAsync(string routingKey, string json, string exchange = "ledger");

    public async Task InitializeAsync()
    {
        _host = await StartHostAsync();
        await WaitUntilSubscribedAsync(_host);
    }

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    protected abstract Task<BridgeHost> StartHostAsync();

    protected Dictionary<string, string?> Settings()
    {
        var settings = LedgerSettings();
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task WaitUntilSubscribedAsync(BridgeHost host)
    {
        var consumer = host.Services.GetRequiredService<LedgerEventConsumer>();
        await WaitUntil.TrueAsync(() => consumer.IsSubscribed, () => "the ledger consumer did not subscribe within 30 s",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
    }

    /// <summary>A token for <paramref name="account"/> from <c>GET /auth_token</c>.</summary>
    public async Task<string> TokenAsync(string account)
    {
        // A password check waits its turn behind the host's others (one at a time): a loaded machine needs the margin.
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{PasswordOf(account)}")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    public async Task<LedgerSocket> ConnectAsync(string account) =>
        await LedgerSocket.ConnectAuthenticatedAsync(Host.WebSocketUri($"/websocket?token={Uri.EscapeDataString(await TokenAsync(account))}"));
}

/// <summary>On the embedded defaults: events go through the bridge's in-process broker.</summary>
public class EmbeddedLedgerFixture : LedgerBridgeFixture
{
    public override async Task PublishAsync(string routingKey, string json, string exchange = "ledger") =>
        await Host.Services.GetRequiredService<IBroker>().PublishAsync(exchange, routingKey, Encoding.UTF8.GetBytes(json), CancellationToken.None);

    protected override Task<BridgeHost> StartHostAsync() => BridgeHost.StartAsync(Settings());
}

/// <summary>Embedded, answering exactly as five-bells-ledger 21 (no extensions).</summary>
public sealed class StrictEmbeddedLedgerFixture : EmbeddedLedgerFixture
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Bridge:Ledger:StrictFiveBells"] = "true" };
}

/// <summary>On a real RabbitMQ node: events are published by an external AMQP producer, as a ledger would.</summary>
public sealed class RabbitMqLedgerFixture : LedgerBridgeFixture
{
    private IConnection? _producer;
    private IChannel? _channel;

    public string AmqpUri { get; private set; } = "";

    public override async Task PublishAsync(string routingKey, string json, string exchange = "ledger")
    {
        var channel = _channel ?? throw new InvalidOperationException("the fixture has not started");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, cancellationToken: timeout.Token);
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: false,
            new BasicProperties { ContentType = "application/json", Persistent = true }, Encoding.UTF8.GetBytes(json), timeout.Token);
    }

    protected override async Task<BridgeHost> StartHostAsync()
    {
        AmqpUri = await RabbitMqServer.GetSharedUriAsync();
        var settings = Settings();
        settings["Bridge:RabbitMq:Uri"] = AmqpUri;
        var host = await BridgeHost.StartAsync(settings);
        _producer = await new ConnectionFactory { Uri = new Uri(AmqpUri) }.CreateConnectionAsync();
        _channel = await _producer.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return host;
    }

    public override async Task DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_producer is not null)
        {
            await _producer.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
