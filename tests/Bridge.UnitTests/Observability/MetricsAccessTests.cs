using System.Net;
using Bridge.Auth;
using Bridge.Observability;
using Bridge.UnitTests.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Observability;

/// <summary>Metrics name exchanges, resources and error rates: off loopback they take an admin token unless opened on purpose.</summary>
public sealed class MetricsAccessTests
{
    private readonly AccountDirectory _accounts = AuthFakes.Directory(
        [AuthFakes.Entry("alice", "secret"), AuthFakes.Entry("root", "rootpw", isAdmin: true)]);
    private readonly TokenService _tokens;

    public MetricsAccessTests() => _tokens = AuthFakes.Tokens(_accounts, new ManualTimeProvider(AuthFakes.Start));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task FromLoopback_NoTokenIsNeeded(string address)
    {
        Assert.Null(await Access().CheckAsync(Request(address)));
    }

    [Fact]
    public async Task FromElsewhere_WithoutAToken_Is401()
    {
        var refusal = await Access().CheckAsync(Request("10.1.2.3"));

        Assert.Equal(StatusCodes.Status401Unauthorized, Assert.IsAssignableFrom<IStatusCodeHttpResult>(refusal).StatusCode);
    }

    [Fact]
    public async Task FromElsewhere_AnAccountThatIsNotAdmin_Is403_AndAnAdminGetsIn()
    {
        var access = Access();

        var refusal = await access.CheckAsync(Request("10.1.2.3", TokenFor("alice")));
        var admitted = await access.CheckAsync(Request("10.1.2.3", TokenFor("root")));

        Assert.Equal(StatusCodes.Status403Forbidden, Assert.IsAssignableFrom<IStatusCodeHttpResult>(refusal).StatusCode);
        Assert.Null(admitted);
    }

    [Fact]
    public async Task AllowAnonymous_OpensItToEveryone()
    {
        Assert.Null(await Access(allowAnonymous: true).CheckAsync(Request("10.1.2.3")));
    }

    private MetricsAccess Access(bool allowAnonymous = false) =>
        new(new RequestAuthenticator(AuthFakes.Guard(_accounts), _tokens, new ListLogger<RequestAuthenticator>()),
            Options.Create(new MetricsOptions { AllowAnonymous = allowAnonymous }));

    private string TokenFor(string name) =>
        _tokens.Issue(_accounts.TryFind(name, out var account) ? account : throw new InvalidOperationException()).Token;

    private static DefaultHttpContext Request(string remote, string? token = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/metrics";
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (token is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + token;
        }

        return context;
    }
}
