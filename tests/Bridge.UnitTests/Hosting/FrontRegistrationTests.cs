using Bridge.Connections;
using Bridge.Hosting;
using Bridge.Kernel;
using Bridge.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bridge.UnitTests.Hosting;

/// <summary>Each front's AddBridgeXxx registers what it needs itself (issue 13: the ledger once worked only because channels registered the connection layer).</summary>
public sealed class FrontRegistrationTests
{
    [Fact]
    public async Task Ledger_WithoutTheChannelFront_ResolvesItsEndpoint()
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddBridgeCore();
        builder.AddBridgeAuth();
        builder.AddBridgeBroker();
        builder.AddBridgeObservability();
        builder.AddBridgeLedger();
        await using var app = builder.Build();

        Assert.NotNull(app.Services.GetRequiredService<LedgerEndpoint>());
        Assert.NotNull(app.Services.GetRequiredService<ConnectionLifecycle>());
    }

    [Fact]
    public void ConnectionLayer_AddedByEveryFront_IsRegisteredOnce()
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddBridgeConnections();
        builder.AddBridgeConnections();

        Assert.Single(builder.Services, static service => service.ServiceType == typeof(ConnectionRegistry));
        Assert.Single(builder.Services, static service => service.ServiceType == typeof(ConnectionLifecycle));
    }

    [Theory]
    [InlineData(null, null, false, false, true)]
    [InlineData("amqp://localhost/", null, true, false, false)]
    [InlineData(null, "mongodb://localhost/", false, true, false)]
    [InlineData(" ", "mongodb://localhost/", false, true, false)]
    public void BridgeMode_IsTheOnePlaceThatReadsWhichServersAreConfigured(string? rabbitMq, string? mongo, bool hasRabbitMq, bool hasMongo, bool embedded)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Bridge:RabbitMq:Uri"] = rabbitMq, ["Bridge:Mongo:Uri"] = mongo })
            .Build();

        var mode = BridgeMode.From(configuration);

        Assert.Equal((hasRabbitMq, hasMongo, embedded), (mode.HasRabbitMq, mode.HasMongo, mode.IsEmbedded));
    }
}
