using Bridge.Broker;
using Bridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Broker;

public class BrokerRegistrationTests
{
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
    public void AddBridgeBroker_WithoutRabbitMqUri_RegistersTheInProcessBroker()
    {
        using var services = Build([]);

        Assert.IsType<InProcessBroker>(services.GetRequiredService<IBroker>());
        Assert.DoesNotContain(services.GetServices<IHostedService>(), s => s is RabbitMqBroker);
    }

    [Fact]
    public void AddBridgeBroker_WithRabbitMqUri_RegistersOneRabbitMqBrokerAsBrokerAndHostedService()
    {
        using var services = Build(new() { ["Bridge:RabbitMq:Uri"] = "amqp://guest:guest@localhost:5672/" });

        var broker = Assert.IsType<RabbitMqBroker>(services.GetRequiredService<IBroker>());
        Assert.Same(broker, Assert.Single(services.GetServices<IHostedService>().OfType<RabbitMqBroker>()));
        Assert.False(broker.Status.IsReady);
        Assert.Equal("waiting for RabbitMQ at amqp://localhost:5672: not connected yet", broker.Status.Description);

        var options = services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        Assert.Equal("bridge", options.ClientName);
        Assert.Equal(1000, options.Prefetch);
        Assert.Equal(TimeSpan.FromSeconds(10), options.PublishConfirmTimeout);
    }

    [Theory]
    [InlineData("Bridge:RabbitMq:Prefetch", "0", "Bridge:RabbitMq:Prefetch")]
    [InlineData("Bridge:RabbitMq:Uri", "http://localhost", "Bridge:RabbitMq:Uri")]
    [InlineData("Bridge:RabbitMq:ConnectRetryMaxDelay", "00:00:00.050", "Bridge:RabbitMq:ConnectRetryMaxDelay")]
    [InlineData("Bridge:RabbitMq:PublishConfirmTimeout", "00:00:00", "Bridge:RabbitMq:PublishConfirmTimeout")]
    public void AddBridgeBroker_WithBadValue_FailsNamingTheKey(string key, string value, string expectedInMessage)
    {
        using var services = Build(new()
        {
            ["Bridge:RabbitMq:Uri"] = "amqp://localhost/",
            [key] = value,
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RabbitMqOptions>>().Value);
        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
    }
}
