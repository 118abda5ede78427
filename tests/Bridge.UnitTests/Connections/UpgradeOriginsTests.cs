using Bridge.Connections;
using Bridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Connections;

public sealed class UpgradeOriginsTests
{
    [Theory]
    [InlineData("https://UI.Example.com", "https://ui.example.com:443")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000")]
    [InlineData("http://127.0.0.1:5000/", "http://127.0.0.1:5000")]
    [InlineData("wss://bridge.example.com", "https://bridge.example.com:443")]
    public void Normalize_SpellsOutSchemeHostAndPort(string origin, string expected) =>
        Assert.Equal(expected, UpgradeOrigins.Normalize(origin));

    [Theory]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("https://ui.example.com/path")]
    [InlineData("https://user@ui.example.com")]
    [InlineData("ftp://ui.example.com")]
    [InlineData("https://ui.example.com?x=1")]
    public void Normalize_RefusesWhatIsNoOrigin(string origin) => Assert.Null(UpgradeOrigins.Normalize(origin));

    [Fact]
    public void AllowedOrigins_WithSomethingThatIsNoOrigin_FailsAtStartNamingTheKey()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bridge:Connections:AllowedOrigins:0"] = "https://ui.example.com",
            ["Bridge:Connections:AllowedOrigins:1"] = "https://ui.example.com/app",
        });
        builder.AddBridgeChannels();
        using var services = builder.Services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ConnectionOptions>>().Value);

        Assert.Contains("Bridge:Connections:AllowedOrigins:1", failure.Message, StringComparison.Ordinal);
    }
}
