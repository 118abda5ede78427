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
        _authenticator = new RequestAuthenticator(_accounts, _tokens, _logger);
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
    public void Authenticate_WithoutCredentials_ReportsNone(bool allowBasic)
    {
        Assert.Same(AuthenticationResult.None, _authenticator.Authenticate(Request(), allowBasic));
        Assert.Empty(_logger.Entries);
    }

    [Fact]
    public void Authenticate_WithQueryToken_AuthenticatesItsAccount()
    {
        var result = _authenticator.Authenticate(Request(query: "?token=" + TokenFor("root")), allowBasic: false);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("root", true)), result);
    }

    [Fact]
    public void Authenticate_WithBearerToken_AuthenticatesItsAccount()
    {
        var result = _authenticator.Authenticate(Request("Bearer " + TokenFor("alice")), allowBasic: false);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("alice", false)), result);
    }

    [Fact]
    public void Authenticate_WithLowerCaseBearerScheme_AuthenticatesItsAccount()
    {
        var result = _authenticator.Authenticate(Request("bearer " + TokenFor("alice")), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Authenticated, result.Outcome);
    }

    [Fact]
    public void Authenticate_WithInvalidQueryToken_IsRejected()
    {
        var result = _authenticator.Authenticate(Request(query: "?token=invalidToken"), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public void Authenticate_WithEmptyQueryToken_IsRejected()
    {
        var result = _authenticator.Authenticate(Request(query: "?token="), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public void Authenticate_WithExpiredBearerToken_IsRejectedAsExpired()
    {
        var token = TokenFor("alice");
        _time.Advance(TimeSpan.FromDays(8));

        var result = _authenticator.Authenticate(Request("Bearer " + token), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("token expired"), result);
    }

    [Fact]
    public void Authenticate_WithBasicWhereAllowed_AuthenticatesTheAccount()
    {
        var result = _authenticator.Authenticate(Request(Basic("ROOT:rootpw")), allowBasic: true);

        Assert.Equal(AuthenticationResult.Authenticated(new Caller("root", true)), result);
    }

    [Fact]
    public void Authenticate_WithBasicPasswordContainingColons_UsesEverythingAfterTheFirstColon()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("carl", "a:b:c")]);
        var authenticator = new RequestAuthenticator(accounts, AuthFakes.Tokens(accounts, _time), _logger);

        var result = authenticator.Authenticate(Request(Basic("carl:a:b:c")), allowBasic: true);

        Assert.Equal(AuthenticationOutcome.Authenticated, result.Outcome);
    }

    [Theory]
    [InlineData("alice:wrong")]
    [InlineData("nobody:secret")]
    [InlineData("alice:")]
    public void Authenticate_WithWrongBasicCredentials_IsRejectedWithoutSayingWhichPartWasWrong(string credentials)
    {
        var result = _authenticator.Authenticate(Request(Basic(credentials)), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("Invalid password"), result);
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic YWxpY2U=")] // "alice", no colon
    [InlineData("Basic OnNlY3JldA==")] // ":secret", empty name
    [InlineData("Basic //79")] // not UTF-8
    public void Authenticate_WithMalformedBasic_IsRejected(string authorization)
    {
        var result = _authenticator.Authenticate(Request(authorization), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("malformed Basic credentials"), result);
    }

    [Fact]
    public void Authenticate_WithBasicWhereNotAllowed_IsRejectedEvenWhenCorrect()
    {
        var result = _authenticator.Authenticate(Request(Basic("alice:secret")), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Rejected, result.Outcome);
        Assert.Contains("use a token", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Authenticate_WithUnknownScheme_IsRejected()
    {
        var result = _authenticator.Authenticate(Request("Digest username=alice"), allowBasic: true);

        Assert.Equal(AuthenticationResult.Rejected("unsupported authorization scheme"), result);
    }

    [Fact]
    public void Authenticate_WithHeaderAndQueryToken_UsesTheHeader()
    {
        var result = _authenticator.Authenticate(
            Request("Bearer " + TokenFor("alice"), query: "?token=" + TokenFor("root")), allowBasic: false);

        Assert.Equal(new Caller("alice", false), result.Caller);
    }

    [Fact]
    public void Authenticate_WithTwoQueryTokens_IsRejected()
    {
        var token = TokenFor("alice");

        var result = _authenticator.Authenticate(Request(query: $"?token={token}&token={token}"), allowBasic: false);

        Assert.Equal(AuthenticationOutcome.Rejected, result.Outcome);
    }

    [Fact]
    public void Authenticate_WhenRejecting_LogsTheReasonAtInformationButNeverTheSecret()
    {
        _authenticator.Authenticate(Request(Basic("alice:hunter2-secret")), allowBasic: true);
        _authenticator.Authenticate(Request(query: "?token=eyJfake.secret-token.value"), allowBasic: true);

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
