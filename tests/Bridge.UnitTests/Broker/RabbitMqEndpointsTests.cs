using Bridge.Broker;
using Bridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Broker;

/// <summary><c>Bridge:RabbitMq:Endpoints:N</c>: the cluster's nodes, validated at start, tried in order.</summary>
public class RabbitMqEndpointsTests
{
    private const string Uri = "amqp://bridge:secret@rabbit1:5672/prod";

    private static ServiceProvider Build(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddLogging();
        builder.AddBridgeBroker();
        return builder.Services.BuildServiceProvider();
    }

    [Fact]
    public void Endpoints_Listed_AreTheNodesInTheOrderGiven()
    {
        var endpoints = new RabbitMqEndpoints(new RabbitMqOptions
        {
            Uri = Uri,
            Endpoints = ["amqp://rabbit2:5673/", "amqp://rabbit3", "amqps://rabbit1:5671/prod"],
        });

        Assert.Equal(["rabbit2:5673", "rabbit3:5672", "rabbit1:5671"], endpoints.All().Select(e => $"{e.HostName}:{e.Port}"));
        Assert.True(endpoints.Endpoints[2].Ssl.Enabled);
        Assert.Equal("rabbit1", endpoints.Endpoints[2].Ssl.ServerName);
        Assert.Equal("amqp://rabbit2:5673, amqp://rabbit3:5672, amqps://rabbit1:5671", endpoints.Description);
    }

    [Fact]
    public void Endpoints_NoneListed_IsTheUrisHostAlone()
    {
        var endpoints = new RabbitMqEndpoints(new RabbitMqOptions { Uri = Uri });

        var only = Assert.Single(endpoints.All());
        Assert.Equal(("rabbit1", 5672), (only.HostName, only.Port));
        Assert.DoesNotContain("secret", endpoints.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBridgeBroker_WithEndpoints_StatusNamesEveryNodeWithoutCredentials()
    {
        using var services = Build(new()
        {
            ["Bridge:RabbitMq:Uri"] = Uri,
            ["Bridge:RabbitMq:Endpoints:0"] = "amqp://bridge:secret@rabbit1:5672/prod",
            ["Bridge:RabbitMq:Endpoints:1"] = "amqp://rabbit2:5672",
        });

        var broker = Assert.IsType<RabbitMqBroker>(services.GetRequiredService<IBroker>());
        Assert.Equal(["amqp://bridge:secret@rabbit1:5672/prod", "amqp://rabbit2:5672"], services.GetRequiredService<IOptions<RabbitMqOptions>>().Value.Endpoints);
        Assert.Equal("waiting for RabbitMQ at amqp://rabbit1:5672, amqp://rabbit2:5672: not connected yet", broker.Status.Description);
    }

    [Theory]
    [InlineData("http://rabbit2:5672/", "Bridge:RabbitMq:Endpoints:1 must be an absolute amqp://")]
    [InlineData("rabbit2:5672", "Bridge:RabbitMq:Endpoints:1 must be an absolute amqp://")]
    [InlineData("amqp://other:secret@rabbit2:5672/prod", "Bridge:RabbitMq:Endpoints:1 names other credentials")]
    [InlineData("amqp://bridge:secret@rabbit2:5672/test", "Bridge:RabbitMq:Endpoints:1 names the vhost 'test'")]
    public void AddBridgeBroker_WithBadEndpoint_FailsNamingTheKey(string endpoint, string expected)
    {
        using var services = Build(new()
        {
            ["Bridge:RabbitMq:Uri"] = Uri,
            ["Bridge:RabbitMq:Endpoints:0"] = "amqp://rabbit1:5672/",
            ["Bridge:RabbitMq:Endpoints:1"] = endpoint,
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RabbitMqOptions>>().Value);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBridgeBroker_EndpointsWithoutUri_FailsAtStartNamingBothKeys()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Build(new() { ["Bridge:RabbitMq:Endpoints:0"] = "amqp://rabbit1:5672/" }));

        Assert.Contains("Bridge:RabbitMq:Endpoints is set but Bridge:RabbitMq:Uri is not", ex.Message, StringComparison.Ordinal);
    }
}
