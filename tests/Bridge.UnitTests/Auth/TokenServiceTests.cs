using System.Text;
using Bridge.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bridge.UnitTests.Auth;

public sealed class TokenServiceTests
{
    private readonly ManualTimeProvider _time = new(AuthFakes.Start);
    private readonly AccountDirectory _accounts = AuthFakes.Directory(
        [AuthFakes.Entry("alice", "secret"), AuthFakes.Entry("root", "secret", isAdmin: true)]);

    private Account Alice => _accounts.TryFind("alice", out var account) ? account : throw new InvalidOperationException();

    [Fact]
    public async Task Issue_ThenValidate_AuthenticatesTheAccount()
    {
        var tokens = AuthFakes.Tokens(_accounts, _time);

        var result = await tokens.ValidateAsync(tokens.Issue(Alice).Token);

        Assert.Equal(AuthenticationOutcome.Authenticated, result.Outcome);
        Assert.Equal(new Caller("alice", false), result.Caller);
    }

    [Fact]
    public void Issue_WritesTheDocumentedClaims()
    {
        var tokens = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromHours(2));
        _accounts.TryFind("root", out var root);

        var issued = tokens.Issue(root!);
        var jwt = new JsonWebToken(issued.Token);

        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("http://bridge.test/accounts/root", jwt.Subject);
        Assert.Equal("http://bridge.test", jwt.Issuer);
        Assert.Equal("root", jwt.GetPayloadValue<string>("name"));
        Assert.True(jwt.GetPayloadValue<bool>("admin"));
        Assert.Equal(AuthFakes.Start.UtcDateTime, jwt.IssuedAt);
        Assert.Equal(AuthFakes.Start.AddHours(2).UtcDateTime, jwt.ValidTo);
        Assert.Equal(AuthFakes.Start.AddHours(2), issued.ExpiresAt);
        Assert.Equal(TimeSpan.FromHours(2), issued.MaxAge);
    }

    [Fact]
    public async Task Validate_JustBeforeExpiry_Succeeds()
    {
        var tokens = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromDays(7));
        var token = tokens.Issue(Alice).Token;

        _time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));

        Assert.Equal(AuthenticationOutcome.Authenticated, (await tokens.ValidateAsync(token)).Outcome);
    }

    [Fact]
    public async Task Validate_AfterMaxAge_IsRejectedAsExpired()
    {
        var tokens = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromDays(7));
        var token = tokens.Issue(Alice).Token;

        _time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        Assert.Equal(AuthenticationResult.Rejected("token expired"), (await tokens.ValidateAsync(token)));
    }

    [Fact]
    public void ClockSkew_DefaultsToFiveSecondsAtMost() => Assert.True(new AuthOptions().ClockSkew <= TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Validate_WithinTheDefaultClockSkewPastExpiry_Succeeds()
    {
        var tokens = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromHours(1));
        var token = tokens.Issue(Alice).Token;

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(4));

        Assert.Equal(AuthenticationOutcome.Authenticated, (await tokens.ValidateAsync(token)).Outcome);
    }

    [Fact]
    public async Task Validate_SixSecondsPastExpiry_IsRejectedWithTheDefaultClockSkew()
    {
        // The JWT library's default skew would have accepted this token for minutes (issue 11, item 8).
        var tokens = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromHours(1));
        var token = tokens.Issue(Alice).Token;

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(6));

        Assert.Equal(AuthenticationResult.Rejected("token expired"), await tokens.ValidateAsync(token));
    }

    [Fact]
    public async Task Validate_WithConfiguredClockSkew_UsesIt()
    {
        var strict = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromHours(1), clockSkew: TimeSpan.Zero);
        var lenient = AuthFakes.Tokens(_accounts, _time, maxAge: TimeSpan.FromHours(1), clockSkew: TimeSpan.FromSeconds(20));
        var token = strict.Issue(Alice).Token;

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(AuthenticationResult.Rejected("token expired"), await strict.ValidateAsync(token));
        Assert.Equal(AuthenticationOutcome.Authenticated, (await lenient.ValidateAsync(token)).Outcome);
    }

    [Fact]
    public async Task Validate_TokenSignedWithAnotherKey_IsRejected()
    {
        var otherKey = Convert.ToBase64String(new byte[32]);
        var token = AuthFakes.Tokens(_accounts, _time, signingKey: otherKey).Issue(Alice).Token;

        var result = await AuthFakes.Tokens(_accounts, _time).ValidateAsync(token);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Validate_TokenFromAnotherIssuer_IsRejected()
    {
        var elsewhere = AuthFakes.Directory([AuthFakes.Entry("alice", "secret")], publicUrl: "http://elsewhere.test");
        var token = AuthFakes.Tokens(elsewhere, _time).Issue(elsewhere.Accounts.Single()).Token;

        var result = await AuthFakes.Tokens(_accounts, _time).ValidateAsync(token);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Validate_AfterTheAccountWasRemoved_IsRejected()
    {
        var token = AuthFakes.Tokens(_accounts, _time).Issue(Alice).Token;
        var withoutAlice = AuthFakes.Directory([AuthFakes.Entry("root", "secret", isAdmin: true)]);

        var result = await AuthFakes.Tokens(withoutAlice, _time).ValidateAsync(token);

        Assert.Equal(AuthenticationOutcome.Rejected, result.Outcome);
        Assert.Equal("the token's account no longer exists", result.Reason);
    }

    [Fact]
    public async Task Validate_TakesTheAdminFlagFromTheCurrentConfiguration()
    {
        var token = AuthFakes.Tokens(_accounts, _time).Issue(Alice).Token;
        var aliceNowAdmin = AuthFakes.Directory([AuthFakes.Entry("alice", "secret", isAdmin: true)]);
        _accounts.TryFind("root", out var root);
        var rootToken = AuthFakes.Tokens(_accounts, _time).Issue(root!).Token;
        var rootNoLongerAdmin = AuthFakes.Directory([AuthFakes.Entry("root", "secret", isAdmin: false)]);

        Assert.Equal(new Caller("alice", true), (await AuthFakes.Tokens(aliceNowAdmin, _time).ValidateAsync(token)).Caller);
        Assert.Equal(new Caller("root", false), (await AuthFakes.Tokens(rootNoLongerAdmin, _time).ValidateAsync(rootToken)).Caller);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.")]
    public async Task Validate_Garbage_IsRejectedAsInvalid(string token)
    {
        var result = await AuthFakes.Tokens(_accounts, _time).ValidateAsync(token);

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Validate_UnsignedTokenWithTheRightClaims_IsRejected()
    {
        var exp = AuthFakes.Start.AddDays(1).ToUnixTimeSeconds();
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64Url($"{{\"sub\":\"http://bridge.test/accounts/root\",\"iss\":\"http://bridge.test\",\"exp\":{exp}}}");

        var result = await AuthFakes.Tokens(_accounts, _time).ValidateAsync($"{header}.{payload}.");

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    [Fact]
    public async Task Validate_TokenTamperedToNameAnotherAccount_IsRejected()
    {
        var parts = AuthFakes.Tokens(_accounts, _time).Issue(Alice).Token.Split('.');
        var exp = AuthFakes.Start.AddDays(1).ToUnixTimeSeconds();
        parts[1] = Base64Url($"{{\"sub\":\"http://bridge.test/accounts/root\",\"iss\":\"http://bridge.test\",\"exp\":{exp}}}");

        var result = await AuthFakes.Tokens(_accounts, _time).ValidateAsync(string.Join('.', parts));

        Assert.Equal(AuthenticationResult.Rejected("Invalid token"), result);
    }

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
