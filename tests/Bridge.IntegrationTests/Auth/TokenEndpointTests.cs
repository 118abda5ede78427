using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bridge.Auth;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Bridge.IntegrationTests.Auth;

public sealed class TokenEndpointFixture : IAsyncLifetime
{
    internal TestBridge Bridge { get; private set; } = null!;

    public async Task InitializeAsync() => Bridge = await TestBridge.StartAsync(TokenEndpointTests.Accounts);

    public async Task DisposeAsync() => await Bridge.DisposeAsync();
}

public sealed class TokenEndpointTests(TokenEndpointFixture fixture) : IClassFixture<TokenEndpointFixture>
{
    internal static readonly Dictionary<string, string?> Accounts = new()
    {
        ["Bridge:PublicUrl"] = "http://ledger.test:3100",
        ["Bridge:Accounts:0:Name"] = "alice",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("alice-pw"),
        ["Bridge:Accounts:1:Name"] = "root",
        ["Bridge:Accounts:1:Password"] = "root-pw",
        ["Bridge:Accounts:1:IsAdmin"] = "true",
    };

    private HttpClient Client => fixture.Bridge.Client;

    internal static AuthenticationHeaderValue Basic(string name, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = authorization;
        return await Client.SendAsync(request).WaitAsync(TestBridge.Timeout);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TestBridge.Timeout)).RootElement.Clone();

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string message)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"bridge\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await JsonAsync(response);
        Assert.Equal("UnauthorizedError", body.GetProperty("id").GetString());
        Assert.Equal(message, body.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("GET", "/auth_token")]
    [InlineData("POST", "/authenticate")]
    public async Task TokenEndpoint_WithBasic_ReturnsATokenForTheAccountAndItsMaxAgeInMillisecondsAsync(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path, Basic("ALICE", "alice-pw"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await JsonAsync(response);
        Assert.Equal(604_800_000, body.GetProperty("token_max_age").GetInt64());
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(body.GetProperty("token").GetString());
        Assert.Equal("http://ledger.test:3100/accounts/alice", token.Subject);
        Assert.Equal("http://ledger.test:3100", token.Issuer);
    }

    [Fact]
    public async Task AuthToken_WithAPlainTextConfiguredPassword_WorksAsync()
    {
        using var response = await SendAsync(HttpMethod.Get, "/auth_token", Basic("root", "root-pw"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/auth_token")]
    [InlineData("POST", "/authenticate")]
    public async Task TokenEndpoint_WithWrongPassword_Returns401WithChallengeAsync(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path, Basic("alice", "wrong"));

        await AssertUnauthorizedAsync(response, "Invalid password");
    }

    [Fact]
    public async Task AuthToken_WithUnknownAccount_Returns401WithTheSameMessageAsync()
    {
        using var response = await SendAsync(HttpMethod.Get, "/auth_token", Basic("mallory", "alice-pw"));

        await AssertUnauthorizedAsync(response, "Invalid password");
    }

    [Theory]
    [InlineData("GET", "/auth_token")]
    [InlineData("POST", "/authenticate")]
    public async Task TokenEndpoint_WithoutCredentials_Returns401WithChallengeAsync(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path);

        await AssertUnauthorizedAsync(response, "credentials required");
    }

    [Fact]
    public async Task AuthToken_WithInvalidBearerToken_Returns401Async()
    {
        using var response = await SendAsync(HttpMethod.Get, "/auth_token", new AuthenticationHeaderValue("Bearer", "invalidToken"));

        await AssertUnauthorizedAsync(response, "Invalid token");
    }

    [Fact]
    public async Task AuthToken_WithAValidBearerToken_ReturnsATokenForTheSameAccountAsync()
    {
        using var first = await SendAsync(HttpMethod.Get, "/auth_token", Basic("alice", "alice-pw"));
        var token = (await JsonAsync(first)).GetProperty("token").GetString();

        using var refreshed = await SendAsync(HttpMethod.Get, "/auth_token", new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken((await JsonAsync(refreshed)).GetProperty("token").GetString());
        Assert.Equal("http://ledger.test:3100/accounts/alice", jwt.Subject);
    }

    [Fact]
    public async Task AuthToken_WithAValidQueryToken_ReturnsATokenAsync()
    {
        using var first = await SendAsync(HttpMethod.Get, "/auth_token", Basic("root", "root-pw"));
        var token = (await JsonAsync(first)).GetProperty("token").GetString();

        using var refreshed = await SendAsync(HttpMethod.Get, "/auth_token?token=" + Uri.EscapeDataString(token!));

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task PostAuthToken_IsMethodNotAllowedAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, "/auth_token", Basic("alice", "alice-pw"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public void StartUp_WithPlainTextPassword_WarnedNamingTheAccount()
    {
        Assert.Contains(fixture.Bridge.Logs.Entries, e => e.EventId == 3000 && e.Message.Contains("'root'", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Bridge.Logs.Entries, e => e.Message.Contains("root-pw", StringComparison.Ordinal));
    }

    [Fact]
    public void StartUp_WithoutConfiguredKey_KeepsAGeneratedKeyReadableOnlyByTheOwner()
    {
        var path = Path.Combine(fixture.Bridge.DataDirectory, TokenService.SigningKeyFileName);

        Assert.True(File.Exists(path));
        Assert.True(Convert.FromBase64String(File.ReadAllText(path)).Length >= 32);
        Assert.Empty(Directory.GetFiles(fixture.Bridge.DataDirectory, "*.tmp"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Options_AreBoundFromConfiguration()
    {
        var options = fixture.Bridge.Services.GetRequiredService<IOptions<AccountsOptions>>().Value;

        Assert.Equal(["alice", "root"], options.Accounts.Select(a => a.Name));
    }
}
