using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bridge.Broker;
using Bridge.IntegrationTests.Auth;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Bridge.IntegrationTests.Publishing;

/// <summary>A bridge on the shared RabbitMQ node, two admins with tokens, and a test connection to look at the broker directly.</summary>
public sealed class PublishRabbitMqFixture : IAsyncLifetime
{
    public static readonly string ConfiguredExchange = "test.configured." + Guid.NewGuid().ToString("N");

    private IConnection? _connection;

    internal TestBridge Bridge { get; private set; } = null!;

    public AuthenticationHeaderValue Root { get; private set; } = null!;

    public AuthenticationHeaderValue Ops { get; private set; } = null!;

    public IConnection Connection => _connection!;

    public async Task InitializeAsync()
    {
        var uri = await RabbitMqServer.GetSharedUriAsync();
        Bridge = await TestBridge.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = uri,
            ["Bridge:Accounts:0:Name"] = "root",
            ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("root-pw"),
            ["Bridge:Accounts:0:IsAdmin"] = "true",
            ["Bridge:Accounts:1:Name"] = "ops",
            ["Bridge:Accounts:1:PasswordHash"] = TestPasswords.Hash("ops-pw"),
            ["Bridge:Accounts:1:IsAdmin"] = "true",

            // A configured resource's exchange: one the bridge may declare on demand.
            ["Bridge:Channels:Resources:probe:Exchange"] = ConfiguredExchange,
            ["Bridge:Channels:Resources:probe:RoutingKey"] = "#",
        });

        var broker = Bridge.Services.GetRequiredService<IBroker>();
        await WaitUntil.TrueAsync(() => broker.Status.IsReady, () => $"the bridge's broker did not become ready: {broker.Status.Description}",
            TestBridge.Timeout, TimeSpan.FromMilliseconds(50));

        // Tokens, not Basic: a concurrency test must not be a PBKDF2 benchmark (nor meet a password rate limit).
        Root = new AuthenticationHeaderValue("Bearer", await TokenAsync("root", "root-pw"));
        Ops = new AuthenticationHeaderValue("Bearer", await TokenAsync("ops", "ops-pw"));
        _connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        await Bridge.DisposeAsync();
    }

    public async Task<HttpResponseMessage> PublishAsync(AuthenticationHeaderValue admin, string exchange, string routingKey, string payload = "{}")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
        {
            Content = new StringContent($$$"""{"exchange":"{{{exchange}}}","routingKey":"{{{routingKey}}}","payload":{{{payload}}}}""", Encoding.UTF8, "application/json"),
            Headers = { Authorization = admin },
        };
        return await Bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
    }

    public async Task<bool> ExchangeExistsAsync(string exchange)
    {
        await using var channel = await Connection.CreateChannelAsync();
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange);
            return true;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    private async Task<string> TokenAsync(string name, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token") { Headers = { Authorization = TokenEndpointTests.Basic(name, password) } };
        using var response = await Bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }
}

/// <summary>
/// <c>POST /api/publish</c> on a real RabbitMQ node (issue 11, item 3): only configured or existing exchanges, a
/// clear 404 for a missing one, and one caller's bad exchange never failing another caller's publish.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class PublishApiRabbitMqTests(PublishRabbitMqFixture fixture) : IClassFixture<PublishRabbitMqFixture>
{
    private static string Key() => "k." + Guid.NewGuid().ToString("N");

    private static async Task<(string Id, string Message)> ErrorAsync(HttpResponseMessage response)
    {
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TestBridge.Timeout)).RootElement;
        return (body.GetProperty("id").GetString()!, body.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task Publish_ToAMissingAmqExchange_Returns404WithAJsonReasonAsync()
    {
        using var response = await fixture.PublishAsync(fixture.Root, "amq.foo", Key());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var (id, message) = await ErrorAsync(response);
        Assert.Equal("NotFoundError", id);
        Assert.StartsWith("the exchange 'amq.foo' does not exist", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_ToAnUnknownExchange_Returns404AndCreatesNoExchangeAsync()
    {
        var exchange = "test.unknown." + Guid.NewGuid().ToString("N");

        using var response = await fixture.PublishAsync(fixture.Root, exchange, Key());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NotFoundError", (await ErrorAsync(response)).Id);
        Assert.False(await fixture.ExchangeExistsAsync(exchange), "a publish to an unknown name must not create the exchange");
    }

    [Fact]
    public async Task Publish_ToAConfiguredExchange_DeclaresItAndAnswers202Async()
    {
        using var response = await fixture.PublishAsync(fixture.Root, PublishRabbitMqFixture.ConfiguredExchange, Key());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await fixture.ExchangeExistsAsync(PublishRabbitMqFixture.ConfiguredExchange));
    }

    [Fact]
    public async Task Publish_ToAnExchangeSomeoneElseCreated_DeliversTheMessageAsync()
    {
        var exchange = "test.existing." + Guid.NewGuid().ToString("N");
        await using var channel = await fixture.Connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Direct, durable: false, autoDelete: false);
        var queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, "exact.key");

        try
        {
            using var response = await fixture.PublishAsync(fixture.Root, exchange, "exact.key", """{"n":1}""");

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var message = await channel.BasicGetAsync(queue.QueueName, autoAck: true);
            Assert.NotNull(message);
            Assert.Equal("""{"n":1}""", Encoding.UTF8.GetString(message.Body.Span));
        }
        finally
        {
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    [Fact]
    public async Task Publish_WhileAnotherAdminHammersAMissingExchange_EveryValidPublishSucceedsAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var hammered = 0;
        var hammerStatuses = new HashSet<HttpStatusCode>();
        var hammers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await fixture.PublishAsync(fixture.Ops, "amq.foo", "hammer");
                lock (hammerStatuses)
                {
                    hammerStatuses.Add(response.StatusCode);
                    hammered++;
                }
            }
        })).ToArray();

        var failures = await PublishValidConcurrentlyAsync(publishes: 400, concurrency: 8);
        await stop.CancelAsync();
        await Task.WhenAll(hammers);

        Assert.Empty(failures);
        Assert.True(hammered >= 20, $"the missing exchange was only hammered {hammered} times");
        Assert.Equal([HttpStatusCode.NotFound], hammerStatuses);
    }

    [Fact]
    public async Task Publish_ToAnExchangeDeletedSinceItsLastPublish_Returns404AndOtherPublishesStillSucceedAsync()
    {
        // The bridge has seen this exchange exist, so its next publish goes straight to the shared channel,
        // where RabbitMQ answers with a channel error: the in-flight publishes it takes down must be retried.
        var doomed = "test.doomed." + Guid.NewGuid().ToString("N");
        await using (var channel = await fixture.Connection.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync(doomed, ExchangeType.Topic, durable: false, autoDelete: false);
            using var first = await fixture.PublishAsync(fixture.Ops, doomed, "before");
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            await channel.ExchangeDeleteAsync(doomed);
        }

        var doomedPublishes = Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await fixture.PublishAsync(fixture.Ops, doomed, "after");
            return response.StatusCode;
        }));
        var failures = await PublishValidConcurrentlyAsync(publishes: 200, concurrency: 8);

        Assert.Empty(failures);
        Assert.All(await doomedPublishes, status => Assert.Equal(HttpStatusCode.NotFound, status));
        Assert.False(await fixture.ExchangeExistsAsync(doomed));
    }

    [Fact]
    public async Task Publish_WithAnExchangeNameTheBrokerWouldRefuse_Returns400Async()
    {
        using var space = await fixture.PublishAsync(fixture.Root, "a b", Key());
        using var accent = await fixture.PublishAsync(fixture.Root, "éx", Key());

        Assert.Equal(HttpStatusCode.BadRequest, space.StatusCode);
        Assert.Equal("InvalidBodyError", (await ErrorAsync(space)).Id);
        Assert.Equal(HttpStatusCode.BadRequest, accent.StatusCode);
        Assert.Equal("InvalidBodyError", (await ErrorAsync(accent)).Id);
    }

    /// <summary>Publishes to the configured exchange from <paramref name="concurrency"/> loops; returns every non-202 as "status body".</summary>
    private async Task<List<string>> PublishValidConcurrentlyAsync(int publishes, int concurrency)
    {
        var failures = new List<string>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= publishes)
            {
                using var response = await fixture.PublishAsync(fixture.Root, PublishRabbitMqFixture.ConfiguredExchange, "valid");
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    var body = await response.Content.ReadAsStringAsync();
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode} {body}");
                    }
                }
            }
        })));
        return failures;
    }
}
