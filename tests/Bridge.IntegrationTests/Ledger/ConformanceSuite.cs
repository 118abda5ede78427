using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Bridge.IntegrationTests.Ledger;

/// <summary>
/// Replays the requests of the five-bells-ledger 21.2.5 reference transcript (Ledger/ledger-transcript.json, taken
/// from shared/specs/ledger-reference-transcript.txt) against the bridge and compares the answers byte for byte:
/// every RPC answer, and every notification with who gets it and who does not.
/// </summary>
public abstract class ConformanceSuite<TFixture>(TFixture fixture) where TFixture : LedgerBridgeFixture
{
    private static readonly JsonObject Transcript = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Ledger", "ledger-transcript.json")))!.AsObject();

    protected TFixture Fixture { get; } = fixture;

    /// <summary>Whether the bridge runs with the contract's extensions (then two answers differ from five-bells by design).</summary>
    protected abstract bool WithExtensions { get; }

    [Fact]
    public async Task Transcript_EveryRequestAndNotification_MatchesTheReference()
    {
        var sockets = new Dictionary<string, LedgerSocket>();
        try
        {
            foreach (var (name, account) in Transcript["connections"]!.AsObject())
            {
                sockets[name] = await Fixture.ConnectAsync((string)account!);
            }

            var eventNumber = 0;
            foreach (var step in Transcript["steps"]!.AsArray())
            {
                if ((string)step!["kind"]! == "rpc")
                {
                    var send = (string)step["send"]!;
                    var expected = WithExtensions && step["extensionExpect"] is { } extension ? (string)extension! : (string)step["expect"]!;
                    var answer = await sockets[(string)step["connection"]!].RequestAsync(send);
                    Assert.True(expected == answer, $"request {send}\n expected {expected}\n got      {answer}");
                    continue;
                }

                var parameters = step["params"]!.DeepClone().AsObject();
                if (eventNumber++ % 2 == 1)
                {
                    // Half of the events leave the event name to the bridge, which derives it from the transfer state.
                    parameters.Remove("event");
                }

                await Fixture.PublishAsync((string)step["routingKey"]!, parameters.ToJsonString());
                foreach (var (connection, frame) in step["expect"]!.AsObject())
                {
                    var received = await sockets[connection].ReceiveAsync($"{step["routingKey"]} on {connection}");
                    Assert.True((string)frame! == received, $"notification on {connection}\n expected {frame}\n got      {received}");
                }
            }

            // Whatever a connection should not have received would have come before its next expected frame;
            // after the last event, only a quiet period can tell.
            foreach (var socket in sockets.Values)
            {
                await socket.AssertNothingAsync(TimeSpan.FromMilliseconds(300));
            }
        }
        finally
        {
            foreach (var socket in sockets.Values)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData(null)]
    public async Task WebSocket_WithoutValidCredentials_IsOpenedAndClosedWithoutConnect(string? token)
    {
        var path = token is null ? "/websocket" : $"/websocket?token={token}";
        await using var socket = await LedgerSocket.ConnectAsync(Fixture.Host.WebSocketUri(path));
        var (status, frames) = await socket.WaitForCloseAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Empty(frames);
    }

    [Fact]
    public async Task GetAccount_Anonymous_AnswersTheTranscriptsRecord()
    {
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/accounts/alice", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("""{"id":"http://localhost:3100/accounts/alice","name":"alice","ledger":"http://localhost:3100"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetAccount_Unknown_Is404WithAnErrorBody()
    {
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/accounts/nobody", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"id":"NotFoundError","message":"Unknown account"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AuthToken_MatchesTheTranscript()
    {
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var good = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        good.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:alice-password")));
        using var goodResponse = await http.SendAsync(good);
        var body = JsonNode.Parse(await goodResponse.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal(HttpStatusCode.OK, goodResponse.StatusCode);
        Assert.Equal("application/json; charset=utf-8", goodResponse.Content.Headers.ContentType?.ToString());
        Assert.Equal(["token", "token_max_age"], body.Select(member => member.Key));
        Assert.Equal(604800000L, (long)body["token_max_age"]!);

        using var bad = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        bad.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wrong")));
        using var badResponse = await http.SendAsync(bad);
        Assert.Equal(HttpStatusCode.Unauthorized, badResponse.StatusCode);
        Assert.Equal("application/json; charset=utf-8", badResponse.Content.Headers.ContentType?.ToString());
        Assert.Equal("""{"id":"UnauthorizedError","message":"Invalid password"}""", await badResponse.Content.ReadAsStringAsync());

        using var post = await http.PostAsync(new Uri("/auth_token", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", post.Content.Headers.ContentType?.ToString());
        Assert.Equal("Method Not Allowed", await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TransferProbe_AnswersAsTheTranscriptRecordsIt()
    {
        // ilp-plugin-bells probes GET /transfers/1 first with a bad token, then with a good one.
        using var http = new HttpClient { BaseAddress = Fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var badToken = new HttpRequestMessage(HttpMethod.Get, "/transfers/1");
        badToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "invalidToken");
        using var badResponse = await http.SendAsync(badToken);

        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:alice-password")));
        using var tokenResponse = await http.SendAsync(tokenRequest);
        var token = (string)JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["token"]!;
        using var goodToken = new HttpRequestMessage(HttpMethod.Get, "/transfers/1");
        goodToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var goodResponse = await http.SendAsync(goodToken);

        Assert.Equal(HttpStatusCode.Unauthorized, badResponse.StatusCode);
        Assert.Equal("application/json; charset=utf-8", badResponse.Content.Headers.ContentType?.ToString());
        Assert.Equal("""{"id":"UnauthorizedError","message":"Invalid token"}""", await badResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, goodResponse.StatusCode);
        Assert.Equal("application/json; charset=utf-8", goodResponse.Content.Headers.ContentType?.ToString());
        Assert.Equal(
            """{"id":"InvalidUriParameterError","message":"id is not a valid Uuid","validationErrors":[{"keyword":"pattern","dataPath":"","schemaPath":"#/pattern","params":{"pattern":"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$"},"message":"should match pattern \"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$\""}]}""",
            await goodResponse.Content.ReadAsStringAsync());
    }
}

[Collection(LedgerCollection.Name)]
public sealed class EmbeddedConformanceTests(EmbeddedLedgerFixture fixture)
    : ConformanceSuite<EmbeddedLedgerFixture>(fixture), IClassFixture<EmbeddedLedgerFixture>
{
    protected override bool WithExtensions => true;
}

[Collection(LedgerCollection.Name)]
public sealed class StrictConformanceTests(StrictEmbeddedLedgerFixture fixture)
    : ConformanceSuite<StrictEmbeddedLedgerFixture>(fixture), IClassFixture<StrictEmbeddedLedgerFixture>
{
    protected override bool WithExtensions => false;
}

[Collection(Infrastructure.RabbitMqCollection.Name)]
public sealed class RabbitMqConformanceTests(RabbitMqLedgerFixture fixture)
    : ConformanceSuite<RabbitMqLedgerFixture>(fixture), IClassFixture<RabbitMqLedgerFixture>
{
    protected override bool WithExtensions => true;
}

/// <summary>
/// The embedded ledger test classes run one after another: the machine running the suite has two cores, and tests
/// elsewhere start private RabbitMQ nodes with a deadline.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LedgerCollection
{
    public const string Name = "Ledger";
}
