using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Hardening;

/// <summary>The HTTP APIs' answers to the attacks of issue 11, items 1, 2 and 11, each pinned on its own.</summary>
public sealed class HttpHostileInputTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const string Subscription = """{"type":"webhook","topic":{"resource":"catalogs"},"sendTo":"https://example.invalid/hook"}""";

    /// <summary>Issue 11, item 2: an unpaired surrogate in <c>POST /api/subscriptions</c> got a 500 with an empty body.</summary>
    [Theory]
    [InlineData("""{"type":"webhook","topic":{"resource":"catalogs"},"sendTo":"https://example.invalid/\ud800"}""", "unpaired surrogate")]
    [InlineData("""{"type":"webhook","topic":{"resource":"catalogs","params":{"\udc00":1}},"sendTo":"https://example.invalid/h"}""", "unpaired surrogate")]
    [InlineData("""{"type":"webhook","type":"webhook","topic":{"resource":"catalogs"},"sendTo":"https://example.invalid/h"}""", "the property 'type' appears twice")]
    [InlineData("""{"type":"webhook","topic":{"resource":"catalogs","params":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}},"sendTo":"https://example.invalid/h"}""", "nested deeper than 32 levels")]
    public async Task HostileSubscriptionBodies_Get400WithAJsonBody(string body, string messagePart)
    {
        using var http = await ClientAsync("alice");

        using var response = await http.PostAsync(new Uri("/api/subscriptions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertJsonErrorAsync(response, HttpStatusCode.BadRequest, "InvalidBodyError", messagePart);
    }

    [Fact]
    public async Task InvalidUtf8InABody_Gets400WithAJsonBody()
    {
        using var http = await ClientAsync("alice");
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"type":"webhook","topic":{"resource":"catalogs"},"sendTo":"https://example.invalid/"""), 0xED, 0xA0, 0x80, .. "\"}"u8];

        using var response = await http.PostAsync(new Uri("/api/subscriptions", UriKind.Relative), new ByteArrayContent(body));

        await AssertJsonErrorAsync(response, HttpStatusCode.BadRequest, "InvalidBodyError", "not valid UTF-8");
    }

    [Theory]
    [InlineData("""{"exchange":"on.events","routingKey":"graph.x","payload":{"a":"\ud800"}}""", "unpaired surrogate")]
    [InlineData("""{"exchange":"on.events","exchange":"ledger","routingKey":"graph.x","payload":{}}""", "the property 'exchange' appears twice")]
    public async Task HostilePublishBodies_Get400WithAJsonBody(string body, string messagePart)
    {
        using var http = await ClientAsync("admin");

        using var response = await http.PostAsync(new Uri("/api/publish", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertJsonErrorAsync(response, HttpStatusCode.BadRequest, "InvalidBodyError", messagePart);
    }

    /// <summary>Issue 11, item 11: the framework's own error answers (routing, a malformed body) now have JSON bodies.</summary>
    [Fact]
    public async Task AnUnknownPath_Gets404WithAJsonBody()
    {
        using var http = await ClientAsync("alice");

        using var response = await http.GetAsync(new Uri("/api/nothing/here", UriKind.Relative));

        await AssertJsonErrorAsync(response, HttpStatusCode.NotFound, "NotFoundError", "/api/nothing/here");
    }

    [Fact]
    public async Task AWrongMethod_Gets405WithAJsonBody()
    {
        using var http = await ClientAsync("alice");

        using var response = await http.PutAsync(new Uri("/api/subscriptions", UriKind.Relative), new StringContent(Subscription));

        await AssertJsonErrorAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowedError", "PUT");
    }

    [Fact]
    public async Task AMalformedChunkedBody_Gets400WithAJsonBody()
    {
        var token = await fixture.TokenAsync("alice");
        await using var connection = await RawConnection.OpenAsync(fixture.Host.BaseUri);

        await connection.SendAsync($"POST /api/subscriptions HTTP/1.1\r\nHost: {fixture.Host.BaseUri.Authority}\r\nAuthorization: Bearer {token}\r\n"
            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nzz\r\n");
        var (bytes, _) = await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));
        var answer = Encoding.UTF8.GetString(bytes);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        // The body may come chunked: the JSON object is what lies between its first and last brace.
        var body = answer[answer.IndexOf('{', StringComparison.Ordinal)..(answer.LastIndexOf('}') + 1)];
        Assert.Equal("BadRequestError", (string?)JsonNode.Parse(body)!["id"]);
    }

    private async Task<HttpClient> ClientAsync(string account)
    {
        var http = new HttpClient { BaseAddress = fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.TokenAsync(account));
        return http;
    }

    private static async Task AssertJsonErrorAsync(HttpResponseMessage response, HttpStatusCode status, string id, string messagePart)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(body)!;
        Assert.Equal(id, (string?)error["id"]);
        Assert.Contains(messagePart, (string?)error["message"], StringComparison.Ordinal);
    }
}
