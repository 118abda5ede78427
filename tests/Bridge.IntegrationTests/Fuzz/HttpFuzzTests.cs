using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.IntegrationTests.Ledger;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// The HTTP APIs (publish, subscriptions, notification history, token endpoints, the ledger's HTTP side) under
/// generated hostile requests (issue 11): never a 5xx but a truthful 503, every 4xx with a JSON body, in time.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class HttpFuzzTests(EmbeddedLedgerFixture fixture) : IClassFixture<EmbeddedLedgerFixture>
{
    private const int Seed = 4_0_4;
    private const int Requests = 3000;

    private static readonly string[] PublishTemplates =
    [
        $$"""{"exchange":"ledger","routingKey":"transfer.update","payload":{{LedgerBridgeFixture.Transfer("alice", "bob")}}}""",
        """{"exchange":"ledger","routingKey":"message.send","payload":{"resource":{"ledger":"http://localhost:3100","to":"http://localhost:3100/accounts/bob","data":{"x":[1,2]}}}}""",
        """{"exchange":"on.waterline","routingKey":"nodes.updated.n1","payload":{"event":"updated","record":{"id":"n1","name":"n"}}}""",
        """{"exchange":"notifications","routingKey":"webhook_tx","payload":{"type":"webhook_tx","sub_type":null,"id":"t1","status":"pending","message":"m","ts_display":0,"ts_started":0,"ts_completed":0,"on_step":1,"total_steps":3,"by":"u"}}""",
        """{"exchange":"on.events","routingKey":"graph.started","payload":"text"}""",
    ];

    private static readonly string[] SubscriptionTemplates =
    [
        """{"type":"webhook","topic":{"resource":"catalogs","params":{"node":"x"}},"sendTo":"https://example.invalid/hook"}""",
        """{"type":"webhook","topic":{"exchange":"on.heartbeat","routingKey":"never.#"},"sendTo":"https://example.invalid/h","rate":"PT10S","startAt":"2026-01-01T00:00:00Z","endAt":"2027-01-01T00:00:00Z"}""",
        """{"type":"webhook","topic":{"resource":"nodes","params":{"id":{"$in":["a","b"]},"name":{"$regex":"^x"}}},"sendTo":"http://example.invalid:8080/a?b=c"}""",
    ];

    private static readonly string[] HostilePathSegments =
    [
        "x", "%ED%A0%80", "%FF%FE", "%00", "..%2F..%2Fetc", "%2e%2e", new string('a', 5000), "%F0%9F%98%80", "a%20b", "%25", "$where",
        "12345678-1234-1234-1234-123456789abc", "ALICE", "alice", "a.b", "%C0%80",
    ];

    private static readonly string[] HostileQueryValues =
    [
        "-1", "0", "1e400", "999999999999999999999", "abc", "%ED%A0%80", "%FF", "", "null", "2026-13-45T99:99:99Z", "%00", new string('9', 3000),
        "eyJhbGciOiJub25lIn0.e30.", "2026-01-01T00:00:00Z",
    ];

    private static readonly string[] HostileAuthorization =
    [
        "Basic !!!!", "Basic " + Convert.ToBase64String("nobody:x"u8.ToArray()), "Basic " + Convert.ToBase64String("nocolon"u8.ToArray()),
        "Basic " + Convert.ToBase64String([0xFF, 0xFE, 0x3A, 0x80]), "Bearer a.b.c", "Bearer " + new string('x', 4000), "Digest x", "Basic",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJodHRwOi8vbG9jYWxob3N0OjMxMDAvYWNjb3VudHMvYWRtaW4ifQ.",
    ];

    // Without a well-formed user:password pair, so no password hash is computed (those are timed in the test below).
    private static readonly string[] CheapHostileAuthorization = [.. HostileAuthorization.Where(static a => !a.StartsWith("Basic ", StringComparison.Ordinal) || a.Length < 14)];

    [Fact]
    public async Task HostileRequests_NeverGetA5xx_AndEvery4xxHasAJsonBody()
    {
        var random = new Random(Seed);
        var publishBodies = new HostileMessages(Seed, PublishTemplates, 60 * 1024);
        var subscriptionBodies = new HostileMessages(Seed + 1, SubscriptionTemplates, 60 * 1024);
        var admin = await fixture.TokenAsync("admin");
        var alice = await fixture.TokenAsync("alice");
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseUri, Timeout = FuzzBudget.MissingAfter };
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < Requests && failures.Count < 20; i++)
        {
            using var request = NextRequest(random, publishBodies, subscriptionBodies, admin, alice, out var description);
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var elapsed = clock.Elapsed;
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;

            if (Problem(request, response, body) is { } problem)
            {
                failures.Add($"#{i} {description}: {problem}");
            }

            if (elapsed > FuzzBudget.AnswerTime)
            {
                failures.Add($"#{i} {description}: answered in {elapsed.TotalMilliseconds:F0} ms");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures (first 20):\n{string.Join('\n', failures)}\nstatuses: {string.Join(", ", statuses)}");
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task HostileCredentials_OnTheTokenEndpoints_Get401WithAJsonBody()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        foreach (var authorization in HostileAuthorization.Append("Basic " + Convert.ToBase64String("alice:wrong"u8.ToArray())))
        {
            foreach (var (method, path) in new[] { (HttpMethod.Get, "/auth_token"), (HttpMethod.Post, "/authenticate") })
            {
                using var request = new HttpRequestMessage(method, path);
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{method} {path} with '{authorization[..Math.Min(40, authorization.Length)]}': {(int)response.StatusCode} {body}");
                Assert.True(IsJsonObject(body), $"{method} {path}: {(int)response.StatusCode} without a JSON body: '{body}'");
            }
        }
    }

    private static HttpRequestMessage NextRequest(Random random, HostileMessages publishBodies, HostileMessages subscriptionBodies, string admin, string alice, out string description)
    {
        HttpRequestMessage request;
        var token = random.Next(4) == 0 ? alice : admin;
        switch (random.Next(10))
        {
            case 0 or 1 or 2:
                request = new HttpRequestMessage(HttpMethod.Post, "/api/publish") { Content = Body(publishBodies.Next(), random) };
                break;
            case 3 or 4:
                request = new HttpRequestMessage(HttpMethod.Post, "/api/subscriptions") { Content = Body(subscriptionBodies.Next(), random) };
                token = alice;
                break;
            case 5:
                request = new HttpRequestMessage(HttpMethod.Get, "/api/notifications?" + Query(random));
                break;
            case 6:
                request = new HttpRequestMessage(random.Next(2) == 0 ? HttpMethod.Delete : HttpMethod.Get,
                    random.Next(2) == 0 ? "/api/subscriptions/" + Pick(random, HostilePathSegments) : "/api/subscriptions");
                break;
            case 7:
                request = new HttpRequestMessage(HttpMethod.Get, (random.Next(2) == 0 ? "/accounts/" : "/transfers/") + Pick(random, HostilePathSegments));
                break;
            case 8:
                string[] paths = ["/", "/.well-known/bridge", "/healthz", "/readyz", "/nope", "/api", "/api/publish/x", "/auth_token", "/websocket", "/catalogs", "/api/notifications/1"];
                HttpMethod[] methods = [HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options];
                request = new HttpRequestMessage(Pick(random, methods), Pick(random, paths));
                if (request.Method != HttpMethod.Get && random.Next(2) == 0)
                {
                    request.Content = Body(publishBodies.Next(), random);
                }

                break;
            default:
                request = new HttpRequestMessage(HttpMethod.Post, Pick(random, ["/api/publish", "/api/subscriptions"])) { Content = Body(publishBodies.Next(), random) };
                request.Headers.TryAddWithoutValidation("Authorization", Pick(random, CheapHostileAuthorization));
                description = $"{request.Method} {request.RequestUri} with hostile credentials";
                return request;
        }

        if (random.Next(20) != 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        description = $"{request.Method} {request.RequestUri} {(request.Content is ByteArrayContent bytes ? Preview(bytes) : "")}";
        return request;
    }

    private static string Preview(ByteArrayContent content)
    {
        var text = content.ReadAsStringAsync().GetAwaiter().GetResult();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private static ByteArrayContent Body(HostileMessage message, Random random)
    {
        var content = new ByteArrayContent(message.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(Pick(random, ["application/json", "application/json", "text/plain", "application/x-www-form-urlencoded"]));
        return content;
    }

    private static string Query(Random random)
    {
        string[] names = ["limit", "before", "id", "status", "since", "until", "x", "limit"];
        var parts = Enumerable.Range(0, random.Next(4)).Select(_ => $"{Pick(random, names)}={Pick(random, HostileQueryValues)}");
        return string.Join('&', parts);
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>What is wrong with an answer: a 5xx other than a 503 with a JSON body, or a 4xx without one.</summary>
    private static string? Problem(HttpRequestMessage request, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        var cut = body.Length <= 300 ? body : body[..300] + "…";
        if (status >= 500)
        {
            return status == 503 && IsJsonObject(body) ? null : $"{status} {cut}";
        }

        if (status < 400 || request.Method == HttpMethod.Head)
        {
            return null;
        }

        // five-bells answers other verbs on /auth_token with a plain-text 405; the conformance tests pin it.
        if (status == 405 && request.RequestUri!.AbsolutePath == "/auth_token")
        {
            return null;
        }

        // Kestrel refuses a request target with a NUL itself, before the application runs, with an empty 400
        // (docs/security.md, "What is not possible").
        if (status == 400 && body.Length == 0 && request.RequestUri!.OriginalString.Contains("%00", StringComparison.Ordinal))
        {
            return null;
        }

        return IsJsonObject(body) ? null : $"{status} without a JSON body: '{cut}'";
    }

    private static bool IsJsonObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
