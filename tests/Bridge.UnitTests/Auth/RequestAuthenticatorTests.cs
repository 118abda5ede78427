using System.Text;
using Bridge.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bridge.UnitTests.Auth;

public sealed class RequestAuthenticatorTests
{
    private readonly ManualTimeProvider _time = new(AuthFakes.Start);
    private readonly AccountDirectory _accounts = AuthFakes.Directory(
        [AuthFakes.Entry("alice", "secret"), AuthFakes.Entry("root", "rootpw", isAdmin: true)]);
    private readonly TokenService _tokens;
    private readonly ListLogger<RequestAuthenticator> _logger = new();
    private readonly RequestAuthenticator _authenticator;

    public RequestAuthenticatorTests()
    {
        _tokens = AuthFakes.Tokens(_accounts, _time);
        _authenticator = new RequestAuthenticator(AuthFakes.Guard(_accounts), _tokens, _logger);
    }

    private string TokenFor(string name) =>
        _tokens.Issue(_accounts.TryFind(name, out var account) ? account : throw new InvalidOperationException()).Token;

    private static HttpRequest Request(string? authorization = null, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/websocket";
        context.Request.QueryString = new QueryString(query);
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return context.Request;
    }

    private static string Basic(string credentials) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Authenticate_WithoutCredentials_ReportsNone(bool allowBasic)
    {
        Assert.Same(AuthenticationResult.None, (await _authenticator.AuthenticateAsync(Request(), allowBasic)));
        Assert.Empty(_logger.Entries);
    }

    [Fact]
    public async Task Authenticate_WithQueryToken_AuthenticatesItsAccount()
    {
        var result = await _authenticator.AuthenticateAsync(Request(query: "?token=" + TokenFor("root")), allowBasic: false);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("root", true)), result);
    }

    [Fact]
    public async Task Authenticate_WithBearerToken_AuthenticatesItsAccount()
    {
        var result = await _authenticator.AuthenticateAsync(Request("Bearer " + TokenFor("alice")), allowBasic: false);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("alice", false)), result);
    }

    [Fact]
    public async Task Authenticate_WithLowerCaseBearerScheme_AuthenticatesItsAccount()
    {
        var result = await _authenticator.AuthenticateAsync(Request("bearer " + TokenFor("alice")), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Authenticated, result.Outcome);
    }

    [Fact]
    public async Task Authenticate_WithInvalidQueryToken_IsRejected()
    {
        var result = await _authenticator.AuthenticateAsync(Request(query: "?token=invalidToken"), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Authenticate_WithEmptyQueryToken_IsRejected()
    {
        var result = await _authenticator.AuthenticateAsync(Request(query: "?token="), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Authenticate_WithExpiredBearerToken_IsRejectedAsExpired()
    {
        var token = TokenFor("alice");
        _time.Advance(TimeSpan.FromDays(8));

        var result = await _authenticator.AuthenticateAsync(Request("Bearer " + token), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("token expired"), result);
    }

    [Fact]
    public async Task Authenticate_WithBasicWhereAllowed_AuthenticatesTheAccount()
    {
        var result = await _authenticator.AuthenticateAsync(Request(Basic("ROOT:rootpw")), allowBasic: true);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("root", true)), result);
    }

    [Fact]
    public async Task Authenticate_WithBasicPasswordContainingColons_UsesEverythingAfterTheFirstColon()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("carl", "a:b:c")]);
        var authenticator = new RequestAuthenticator(AuthFakes.Guard(accounts), AuthFakes.Tokens(accounts, _time), _logger);

        var result = await authenticator.AuthenticateAsync(Request(Basic("carl:a:b:c")), allowBasic: true);

        Assert.Equal(AuthenticationOutcome.Authenticated, result.Outcome);
    }

    [Theory]
    [InlineData("alice:wrong")]
    [InlineData("nobody:secret")]
    [InlineData("alice:")]
    public async Task Authenticate_WithWrongBasicCredentials_IsRejectedWithoutSayingWhichPartWasWrong(string credentials)
    {
        var result = await _authenticator.AuthenticateAsync(Request(Basic(credentials)), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid password"), result);
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic YWxpY2U=")] // "alice", no colon
    [InlineData("Basic OnNlY3JldA==")] // ":secret", empty name
    [InlineData("Basic //79")] // not UTF-8
    public async Task Authenticate_WithMalformedBasic_IsRejected(string authorization)
    {
        var result = await _authenticator.AuthenticateAsync(Request(authorization), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("malformed Basic credentials"), result);
    }

    [Fact]
    public async Task Authenticate_WithBasicWhereNotAllowed_IsRejectedEvenWhenCorrect()
    {
        var result = await _authenticator.AuthenticateAsync(Request(Basic("alice:secret")), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Rejected, result.Outcome);
        Assert.Contains("use a token", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticate_WithUnknownScheme_IsRejected()
    {
        var result = await _authenticator.AuthenticateAsync(Request("Digest username=alice"), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("unsupported authorization scheme"), result);
    }

    [Fact]
    public async Task Authenticate_WithHeaderAndQueryToken_UsesTheHeader()
    {
        var result = await _authenticator.AuthenticateAsync(
            Request("Bearer " + TokenFor("alice"), query: "?token=" + TokenFor("root")), allowBasic: false);

        Assert.Equal(new Caller("alice", false), result.Caller);
    }

    [Fact]
    public async Task Authenticate_WithTwoQueryTokens_IsRejected()
    {
        var token = TokenFor("alice");

        var result = await _authenticator.AuthenticateAsync(Request(query: $"?token={token}&token={token}"), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Rejected, result.Outcome);
    }

    [Fact]
    public async Task Authenticate_WhenRejecting_LogsTheReasonAtInformationButNeverTheSecret()
    {
        await _authenticator.AuthenticateAsync(Request(Basic("alice:hunter2-secret")), allowBasic: true);
        await _authenticator.AuthenticateAsync(Request(query: "?token=eyJfake.secret-token.value"), allowBasic: true);

        Assert.Equal(2, _logger.Entries.Count);
        Assert.All(_logger.Entries, entry =>
        {
            Assert.Equal((LogLevel.Information, 3020), (entry.Level, entry.EventId.Id));
            Assert.Contains("/websocket", entry.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", entry.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-token", entry.Message, StringComparison.Ordinal);
        });
        Assert.Contains("Invalid password", _logger.Entries[0].Message, StringComparison.Ordinal);
        Assert.Contains("Invalid token", _logger.Entries[1].Message, StringComparison.Ordinal);
    }
}
