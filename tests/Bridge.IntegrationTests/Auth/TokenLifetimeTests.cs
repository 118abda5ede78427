using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Bridge.Auth;
using Microsoft.Extensions.Options;

namespace Bridge.IntegrationTests.Auth;

/// <summary>Tokens across restarts and instances, and start-up failures; each test runs its own bridges.</summary>
public sealed class TokenLifetimeTests
{
    private static async Task<string> GetTokenAsync(TestBridge bridge, string name, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = TokenEndpointTests.Basic(name, password);
        using var response = await bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TestBridge.Timeout));
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private static async Task<HttpStatusCode> RefreshAsync(TestBridge bridge, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await bridge.Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
        return response.StatusCode;
    }

    [Fact]
    public async Task Token_AfterARestartWithTheSameDataDirectory_StillWorksAsync()
    {
        string token;
        string dataDirectory;
        await using (var first = await TestBridge.StartAsync(TokenEndpointTests.Accounts))
        {
            token = await GetTokenAsync(first, "alice", "alice-pw");
            dataDirectory = first.DataDirectory;
        }

        await using var second = await TestBridge.StartAsync(TokenEndpointTests.Accounts, dataDirectory: dataDirectory);

        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(second, token));
    }

    [Fact]
    public async Task Token_FromAnInstanceWithAnotherGeneratedKey_IsRejectedAsync()
    {
        await using var first = await TestBridge.StartAsync(TokenEndpointTests.Accounts);
        await using var second = await TestBridge.StartAsync(TokenEndpointTests.Accounts);

        var token = await GetTokenAsync(first, "alice", "alice-pw");

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(second, token));
    }

    [Fact]
    public async Task Token_FromAnInstanceWithTheSameConfiguredKey_IsAcceptedAsync()
    {
        var settings = new Dictionary<string, string?>(TokenEndpointTests.Accounts)
        {
            ["Bridge:Auth:SigningKey"] = Convert.ToBase64String(Enumerable.Range(0, 48).Select(i => (byte)(i * 7)).ToArray()),
        };
        await using var first = await TestBridge.StartAsync(settings);
        await using var second = await TestBridge.StartAsync(settings);

        var token = await GetTokenAsync(first, "alice", "alice-pw");

        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(second, token));
        Assert.False(File.Exists(Path.Combine(first.DataDirectory, TokenService.SigningKeyFileName)));
    }

    [Fact]
    public async Task Token_OfAnAccountRemovedFromConfiguration_StopsWorkingAsync()
    {
        string token;
        string dataDirectory;
        await using (var first = await TestBridge.StartAsync(TokenEndpointTests.Accounts))
        {
            token = await GetTokenAsync(first, "alice", "alice-pw");
            dataDirectory = first.DataDirectory;
        }

        var withoutAlice = new Dictionary<string, string?>
        {
            ["Bridge:PublicUrl"] = "http://ledger.test:3100",
            ["Bridge:Accounts:0:Name"] = "root",
            ["Bridge:Accounts:0:Password"] = "root-pw",
        };
        await using var second = await TestBridge.StartAsync(withoutAlice, dataDirectory: dataDirectory);

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(second, token));
    }

    [Fact]
    public async Task EmbeddedMode_WithoutAccounts_GeneratesAnAdminWhosePasswordIsLoggedAsync()
    {
        await using var bridge = await TestBridge.StartAsync(new Dictionary<string, string?>());

        var line = Assert.Single(bridge.Logs.Entries, e => e.EventId == 3001);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, line.Level);
        var password = line.Message.Split("with password ")[1].Split(' ')[0];
        var token = await GetTokenAsync(bridge, "admin", password);
        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(bridge, token));
    }

    [Fact]
    public async Task StartUp_WithAnInvalidAccount_FailsNamingTheKeyAsync()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("bridge-auth-test-").FullName;
        await using var app = TestBridge.Build(new Dictionary<string, string?>
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:Password"] = "pw",
            ["Bridge:Accounts:1:Name"] = "bob",
            ["Bridge:Accounts:1:PasswordHash"] = "not-a-hash",
        }, dataDirectory);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(TestBridge.Timeout));

        Assert.Contains("Bridge:Accounts:1:PasswordHash", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartUp_WithACorruptSigningKeyFile_FailsAsync()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("bridge-auth-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, TokenService.SigningKeyFileName), "short");
        await using var app = TestBridge.Build(TokenEndpointTests.Accounts, dataDirectory);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync().WaitAsync(TestBridge.Timeout));

        Assert.Contains("signing key file", exception.Message, StringComparison.Ordinal);
    }
}
