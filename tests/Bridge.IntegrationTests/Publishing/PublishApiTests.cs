using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bridge.Broker;
using Bridge.IntegrationTests.Auth;

using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Publishing;

/// <summary>
/// Records what was published. A routing key starting with <c>unavailable</c> fails as an unreachable broker would;
/// a publish to an existing exchange only succeeds for names in <see cref="ExistingExchanges"/>.
/// </summary>
internal sealed class RecordingBroker : IBroker
{
    public ConcurrentQueue<(string Exchange, string RoutingKey, byte[] Body)> Published { get; } = new();

    public DependencyStatus Status => new(true, "recording fake");

    /// <summary>
    /// The publish API never subscribes, but the host's recovery log (issue 16) binds to its retained exchanges at
    /// start: those bindings are accepted and never delivered to.
    /// </summary>
    public ValueTask<IBrokerSubscription> SubscribeAsync(string exchange, string bindingKey, DeliveryHandler handler, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IBrokerSubscription>(NoSubscription.Instance);

    // Bound from the start, receiving nothing: this broker only records publishes.
    private sealed class NoSubscription : IBrokerSubscription
    {
        public static readonly NoSubscription Instance = new();

        public bool IsBound => true;

        public string? Problem => null;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (routingKey.StartsWith("unavailable", StringComparison.Ordinal))
        {
            throw new BrokerUnavailableException("connection refused (fake)");
        }

        Published.Enqueue((exchange, routingKey, body.ToArray()));
        return ValueTask.CompletedTask;
    }

    public ConcurrentDictionary<string, bool> ExistingExchanges { get; } = new(StringComparer.Ordinal);

    public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        ExistingExchanges.ContainsKey(exchange) ? PublishAsync(exchange, routingKey, body, cancellationToken) : throw new ExchangeNotFoundException(exchange);

    public ValueTask<IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, QueueHandler handler, QueueConsumerOptions options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this fake broker has no durable queues");

    public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this fake broker has no durable queues");

    public byte[]? BodyFor(string routingKey) => Published.LastOrDefault(p => p.RoutingKey == routingKey).Body;
}

public sealed class PublishApiFixture : IAsyncLifetime
{
    internal RecordingBroker Broker { get; } = new();

    internal TestBridge Bridge { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Bridge = await TestBridge.StartAsync(
            new Dictionary<string, string?>
            {
                ["Bridge:Accounts:0:Name"] = "root",
                ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("root-pw"),
                ["Bridge:Accounts:0:IsAdmin"] = "true",
                ["Bridge:Accounts:1:Name"] = "alice",
                ["Bridge:Accounts:1:PasswordHash"] = TestPasswords.Hash("alice-pw"),
                ["Bridge:Publish:AllowedExchanges:0"] = "ledger",
                ["Bridge:Publish:AllowedExchanges:1"] = "on.events",
            },
            services => services.AddSingleton<IBroker>(Broker));

    public async Task DisposeAsync() => await Bridge.DisposeAsync();
}

public sealed class PublishApiTests(PublishApiFixture fixture) : IClassFixture<PublishApiFixture>
{
    private static readonly AuthenticationHeaderValue Root = TokenEndpointTests.Basic("root", "root-pw");
    private static readonly AuthenticationHeaderValue Alice = TokenEndpointTests.Basic("alice", "alice-pw");

    private RecordingBroker Broker => fixture.Broker;

    private async Task<HttpResponseMessage> PublishAsync(string body, AuthenticationHeaderValue? authorization, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish" + query)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = authorization;
        return await fixture.Bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
    }

    private static async Task<(string Id, string Message)> ErrorAsync(HttpResponseMessage response)
    {
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TestBridge.Timeout)).RootElement;
        return (body.GetProperty("id").GetString()!, body.GetProperty("message").GetString()!);
    }

    private static string Key() => "test." + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Publish_AsAdminWithBasic_PublishesThePayloadBytesAndAnswers202Async()
    {
        var key = Key();

        using var response = await PublishAsync(
            $$$$"""{"exchange":"ledger","routingKey":"{{{{key}}}}","payload":{"event":"transfer.create","resource":{"amount":"10.5","list":[true,null]}}}""",
            Root);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("""{"published":true}""", await response.Content.ReadAsStringAsync().WaitAsync(TestBridge.Timeout));
        var published = Assert.Single(Broker.Published, p => p.RoutingKey == key);
        Assert.Equal("ledger", published.Exchange);
        Assert.Equal("""{"event":"transfer.create","resource":{"amount":"10.5","list":[true,null]}}""", Encoding.UTF8.GetString(published.Body));
    }

    [Fact]
    public async Task Publish_AsAdminWithToken_PublishesAsync()
    {
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, "/auth_token") { Headers = { Authorization = Root } };
        using var tokenResponse = await fixture.Bridge.Client.SendAsync(tokenRequest).WaitAsync(TestBridge.Timeout);
        var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var key = Key();

        using var viaHeader = await PublishAsync($$$"""{"exchange":"on.events","routingKey":"{{{key}}}","payload":"text"}""",
            new AuthenticationHeaderValue("Bearer", token));
        using var viaQuery = await PublishAsync($$$"""{"exchange":"on.events","routingKey":"{{{key}}}","payload":42}""",
            null, "?token=" + Uri.EscapeDataString(token));

        Assert.Equal(HttpStatusCode.Accepted, viaHeader.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, viaQuery.StatusCode);
        Assert.Equal(["\"text\"", "42"], Broker.Published.Where(p => p.RoutingKey == key).Select(p => Encoding.UTF8.GetString(p.Body)));
    }

    [Fact]
    public async Task Publish_WithoutCredentials_Returns401WithChallengeAsync()
    {
        var key = Key();

        using var response = await PublishAsync($$$"""{"exchange":"ledger","routingKey":"{{{key}}}","payload":{}}""", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"bridge\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal("UnauthorizedError", (await ErrorAsync(response)).Id);
        Assert.Null(Broker.BodyFor(key));
    }

    [Theory]
    [InlineData("root", "wrong")]
    [InlineData("nobody", "root-pw")]
    public async Task Publish_WithWrongPassword_Returns401Async(string name, string password)
    {
        var key = Key();

        using var response = await PublishAsync($$$"""{"exchange":"ledger","routingKey":"{{{key}}}","payload":{}}""",
            TokenEndpointTests.Basic(name, password));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(("UnauthorizedError", "Invalid password"), await ErrorAsync(response));
        Assert.Null(Broker.BodyFor(key));
    }

    [Fact]
    public async Task Publish_WithInvalidToken_Returns401Async()
    {
        using var response = await PublishAsync("""{"exchange":"ledger","routingKey":"k","payload":{}}""",
            new AuthenticationHeaderValue("Bearer", "invalidToken"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(("UnauthorizedError", "Invalid token"), await ErrorAsync(response));
    }

    [Fact]
    public async Task Publish_AsNonAdmin_Returns403AndPublishesNothingAsync()
    {
        var key = Key();

        using var response = await PublishAsync($$$"""{"exchange":"ledger","routingKey":"{{{key}}}","payload":{}}""", Alice);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("ForbiddenError", (await ErrorAsync(response)).Id);
        Assert.Null(Broker.BodyFor(key));
    }

    [Fact]
    public async Task Publish_ToAnExchangeNotOnTheAllowList_Returns403Async()
    {
        var key = Key();

        using var response = await PublishAsync($$$"""{"exchange":"amq.topic","routingKey":"{{{key}}}","payload":{}}""", Root);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(("ForbiddenError", "publishing to exchange 'amq.topic' is not allowed"), await ErrorAsync(response));
        Assert.Null(Broker.BodyFor(key));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "not json", "the body is not valid JSON" },
        { "", "the body is not valid JSON" },
        { """{"exchange":"ledger","payload":{}""", "the body is not valid JSON" },
        { """[{"exchange":"ledger","payload":{}}]""", "the body must be a JSON object" },
        { """{"routingKey":"k","payload":{}}""", "'exchange' must be a non-empty string" },
        { """{"exchange":"","routingKey":"k","payload":{}}""", "'exchange' must be a non-empty string" },
        { """{"exchange":7,"routingKey":"k","payload":{}}""", "'exchange' must be a non-empty string" },
        { """{"exchange":"ledger","routingKey":5,"payload":{}}""", "'routingKey' must be a string" },
        // Names the broker would refuse (issue 11, item 3): refused when parsing, never a failed publish.
        { """{"exchange":"a b","routingKey":"k","payload":{}}""", "'exchange' is not a valid exchange name: the exchange name contains ' '" },
        { """{"exchange":"éx","routingKey":"k","payload":{}}""", "'exchange' is not a valid exchange name: the exchange name contains 'é'" },
        { """{"exchange":"a/b","routingKey":"k","payload":{}}""", "'exchange' is not a valid exchange name" },
        { """{"exchange":"a\u0000b","routingKey":"k","payload":{}}""", "'exchange' is not a valid exchange name" },
        { $$$"""{"exchange":"{{{new string('x', 256)}}}","routingKey":"k","payload":{}}""", "'exchange' is not a valid exchange name: the exchange name is longer than 255 bytes" },
        { $$$"""{"exchange":"ledger","routingKey":"{{{new string('k', 256)}}}","payload":{}}""", "'routingKey' is longer than 255 bytes" },
        { $$$"""{"exchange":"ledger","routingKey":"{{{new string('é', 128)}}}","payload":{}}""", "'routingKey' is longer than 255 bytes" },
        { """{"exchange":"ledger","routingKey":"k"}""", "'payload' is missing" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Publish_WithABadBody_Returns400InvalidBodyErrorAsync(string body, string message)
    {
        var before = Broker.Published.Count;

        using var response = await PublishAsync(body, Root);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("InvalidBodyError", error.Id);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Broker.Published.Count);
    }

    [Fact]
    public async Task Publish_WithRoutingKeyOfExactly255Bytes_IsAcceptedAsync()
    {
        var key = new string('k', 200) + Guid.NewGuid().ToString("N") + new string('k', 23);

        using var response = await PublishAsync($$$"""{"exchange":"ledger","routingKey":"{{{key}}}","payload":null}""", Root);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("null", Encoding.UTF8.GetString(Broker.BodyFor(key)!));
    }

    [Fact]
    public async Task Publish_WithABodyOverOneMebibyte_Returns400Async()
    {
        var key = Key();
        var big = new string('x', 1024 * 1024);

        using var response = await PublishAsync($$$"""{"exchange":"ledger","routingKey":"{{{key}}}","payload":"{{{big}}}"}""", Root);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("InvalidBodyError", "the body is larger than 1048576 bytes"), await ErrorAsync(response));
        Assert.Null(Broker.BodyFor(key));
    }

    [Fact]
    public async Task Publish_WithAChunkedBodyOverOneMebibyte_Returns400Async()
    {
        var payload = Encoding.UTF8.GetBytes($$$"""{"exchange":"ledger","routingKey":"k","payload":"{{{new string('x', 1024 * 1024)}}}"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
        {
            // No Content-Length: the limit must hold while reading, not only on the header.
            Content = new StreamContent(new MemoryStream(payload)),
        };
        request.Headers.Authorization = Root;
        request.Headers.TransferEncodingChunked = true;

        using var response = await fixture.Bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidBodyError", (await ErrorAsync(response)).Id);
    }

    [Fact]
    public async Task Publish_WhenTheBrokerIsUnavailable_Returns503Async()
    {
        using var response = await PublishAsync("""{"exchange":"ledger","routingKey":"unavailable.now","payload":{}}""", Root);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("BrokerUnavailableError", (await ErrorAsync(response)).Id);
    }
}

/// <summary>Configurations other than the shared fixture's: each test starts its own bridge.</summary>
public sealed class PublishApiConfigurationTests
{
    [Fact]
    public async Task Publish_WithoutAnAllowList_AcceptsExistingAndConfiguredExchangesAnd404sOthersAsync()
    {
        var broker = new RecordingBroker();
        broker.ExistingExchanges["made.by.operator"] = true;
        await using var bridge = await TestBridge.StartAsync(
            new Dictionary<string, string?>
            {
                ["Bridge:Accounts:0:Name"] = "root",
                ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("root-pw"),
                ["Bridge:Accounts:0:IsAdmin"] = "true",
            },
            services => services.AddSingleton<IBroker>(broker));

        async Task<HttpResponseMessage> PublishAsync(string exchange)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
            {
                Content = new StringContent($$$"""{"exchange":"{{{exchange}}}","routingKey":"a.b","payload":[1]}""", Encoding.UTF8, "application/json"),
                Headers = { Authorization = TokenEndpointTests.Basic("root", "root-pw") },
            };
            return await bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
        }

        using var existing = await PublishAsync("made.by.operator");
        using var configured = await PublishAsync("on.waterline");
        using var unknown = await PublishAsync("anything.goes");

        Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, configured.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("NotFoundError", error.GetProperty("id").GetString());
        Assert.StartsWith("the exchange 'anything.goes' does not exist", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["made.by.operator", "on.waterline"], broker.Published.Select(p => p.Exchange));
    }

    [Fact]
    public async Task Publish_InEmbeddedModeWithTheGeneratedAdmin_IsAcceptedAsync()
    {
        var broker = new RecordingBroker();
        await using var bridge = await TestBridge.StartAsync(
            new Dictionary<string, string?>(), services => services.AddSingleton<IBroker>(broker));
        var password = bridge.Logs.Entries.Single(e => e.EventId == 3001).Message.Split("with password ")[1].Split(' ')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
        {
            Content = new StringContent("""{"exchange":"on.events","routingKey":"demo","payload":{"ok":true}}""", Encoding.UTF8, "application/json"),
            Headers = { Authorization = TokenEndpointTests.Basic("admin", password) },
        };

        using var response = await bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(("on.events", "demo", """{"ok":true}"""), Broker(broker));
    }

    private static (string, string, string) Broker(RecordingBroker broker)
    {
        var published = Assert.Single(broker.Published);
        return (published.Exchange, published.RoutingKey, Encoding.UTF8.GetString(published.Body));
    }
}
