using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;

namespace Bridge.IntegrationTests.Auth;

/// <summary>Issue 11 item 6: wrong passwords are limited per address and per account on every path that checks one.</summary>
public sealed class PasswordGuessingTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Bridge:Accounts:0:Name"] = "alice",
        ["Bridge:Accounts:0:Password"] = "alice-pw",
        ["Bridge:Accounts:1:Name"] = "root",
        ["Bridge:Accounts:1:Password"] = "root-pw",
        ["Bridge:Accounts:1:IsAdmin"] = "true",
        ["Bridge:Auth:FailedPasswordsPerAddress"] = "5",
        ["Bridge:Auth:FailedPasswordsPerAccount"] = "50",
    };

    private static AuthenticationHeaderValue Basic(string name, string password) => TokenEndpointTests.Basic(name, password);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = authorization;
        return await client.SendAsync(request).WaitAsync(TestBridge.Timeout);
    }

    private static async Task AssertTooManyAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("TooManyRequestsError", body.GetProperty("id").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
    }

    private static async Task<int> UpgradeStatusAsync(TestBridge bridge, string path, AuthenticationHeaderValue authorization)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        using var timeout = new CancellationTokenSource(TestBridge.Timeout);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{bridge.Client.BaseAddress!.Authority}{path}"), timeout.Token);
            return (int)socket.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            Assert.True(socket.HttpResponseHeaders?.ContainsKey("Retry-After") ?? false, $"no Retry-After on the refused upgrade of {path}");
            return (int)socket.HttpStatusCode;
        }
    }

    [Fact]
    public async Task WrongPasswordBurst_Gets429WithRetryAfter_OnEveryPathThatChecksAPassword_WhileAnotherAddressLogsIn()
    {
        await using var bridge = await TestBridge.StartAsync(Settings);
        var client = bridge.Client;

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await SendAsync(client, HttpMethod.Get, "/auth_token", Basic("alice", $"guess-{i}"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // The address has spent its budget: no password from it is checked any more, right or wrong, anywhere.
        using (var guess = await SendAsync(client, HttpMethod.Get, "/auth_token", Basic("alice", "guess-5")))
        {
            await AssertTooManyAsync(guess);
        }

        using (var right = await SendAsync(client, HttpMethod.Post, "/authenticate", Basic("alice", "alice-pw")))
        {
            await AssertTooManyAsync(right);
        }

        using (var publish = await SendAsync(client, HttpMethod.Post, "/api/publish", Basic("root", "root-pw")))
        {
            await AssertTooManyAsync(publish);
        }

        Assert.Equal(429, await UpgradeStatusAsync(bridge, "/nodes", Basic("alice", "alice-pw")));
        Assert.Equal(429, await UpgradeStatusAsync(bridge, "/websocket", Basic("alice", "alice-pw")));

        // The right password from another address still works.
        using var other = LoopbackClients.HttpFrom(LoopbackClients.Address(2), client.BaseAddress!);
        using var fromOther = await SendAsync(other, HttpMethod.Get, "/auth_token", Basic("alice", "alice-pw"));
        Assert.Equal(HttpStatusCode.OK, fromOther.StatusCode);
        Assert.Contains(bridge.Logs.Entries, entry => entry.EventId == 3030 && entry.Message.Contains("429", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GuessesSpreadOverAddresses_SpendTheAccountsBudget_NotAnotherAccounts()
    {
        await using var bridge = await TestBridge.StartAsync(new Dictionary<string, string?>(Settings)
        {
            ["Bridge:Auth:FailedPasswordsPerAddress"] = "100",
            ["Bridge:Auth:FailedPasswordsPerAccount"] = "6",
        });

        for (var i = 0; i < 6; i++)
        {
            using var guesser = LoopbackClients.HttpFrom(LoopbackClients.Address(10 + i), bridge.Client.BaseAddress!);
            using var wrong = await SendAsync(guesser, HttpMethod.Get, "/auth_token", Basic("alice", "guess"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var owner = LoopbackClients.HttpFrom(LoopbackClients.Address(3), bridge.Client.BaseAddress!);
        using (var alice = await SendAsync(owner, HttpMethod.Get, "/auth_token", Basic("alice", "alice-pw")))
        {
            await AssertTooManyAsync(alice);
        }

        using var root = await SendAsync(owner, HttpMethod.Get, "/auth_token", Basic("root", "root-pw"));
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
    }
}
