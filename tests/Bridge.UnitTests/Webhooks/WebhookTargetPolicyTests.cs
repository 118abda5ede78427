using System.Net;
using Bridge.Webhooks;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Webhooks;

/// <summary>Which webhook targets are refused, and why (SSRF).</summary>
public sealed class WebhookTargetPolicyTests
{
    private static WebhookTargetPolicy Policy(bool allowHttp = false, params string[] allowed) =>
        new(Options.Create(new WebhookOptions { AllowHttp = allowHttp, AllowedHosts = allowed }));

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.5.6.7", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("fd00::1", "private (unique local)")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    public void NonPublicAddresses_AreNamed(string address, string kind) =>
        Assert.Equal(kind, AddressClass.NonPublicKind(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void PublicAddresses_AreNot(string address) => Assert.Null(AddressClass.NonPublicKind(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:1/", "loopback")]
    [InlineData("https://127.0.0.1:1/", "loopback")]
    [InlineData("https://[::1]/", "loopback")]
    [InlineData("https://localhost:8080/hook", "resolves to")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("https://10.0.0.8/", "private")]
    [InlineData("file:///etc/passwd", "https://")]
    [InlineData("gopher://x", "https://")]
    [InlineData("ftp://example.com/x", "https://")]
    public async Task RefusedTargets_SayWhy(string target, string reason)
    {
        var refusal = await Policy(allowHttp: true).CheckAsync(new Uri(target), CancellationToken.None);
        Assert.NotNull(refusal);
        Assert.Contains(reason, refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_IsRefusedUnlessAllowed_AndListedHostsArePermitted()
    {
        var http = await Policy(allowHttp: false, "127.0.0.1").CheckAsync(new Uri("http://127.0.0.1:5000/hook"), CancellationToken.None);
        Assert.Contains("AllowHttp", http, StringComparison.Ordinal);

        Assert.Null(await Policy(allowHttp: true, "127.0.0.1").CheckAsync(new Uri("http://127.0.0.1:5000/hook"), CancellationToken.None));
        Assert.Null(await Policy(allowHttp: false, "10.0.0.0/8").CheckAsync(new Uri("https://10.2.3.4/hook"), CancellationToken.None));
        Assert.Null(await Policy(allowHttp: false, "localhost").CheckAsync(new Uri("https://localhost/hook"), CancellationToken.None));
        Assert.Null(await Policy(allowHttp: false, "::1").CheckAsync(new Uri("https://[::1]/hook"), CancellationToken.None));

        // Listing one loopback address allows that one, not its neighbours.
        Assert.NotNull(await Policy(allowHttp: true, "127.0.0.1").CheckAsync(new Uri("http://127.0.0.2/"), CancellationToken.None));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("hooks.internal.example", true)]
    [InlineData("[::1]", true)]
    [InlineData("", false)]
    [InlineData("not a host!", false)]
    public void AllowedHostEntries_AreValidated(string entry, bool valid) => Assert.Equal(valid, WebhookTargetPolicy.IsValidAllowedHost(entry));
}
