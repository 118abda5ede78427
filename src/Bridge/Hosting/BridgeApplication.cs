namespace Bridge.Hosting;

/// <summary>The composition root, shared by <c>Program</c> and the integration tests.</summary>
public static class BridgeApplication
{
    /// <param name="args">Command line, as for any ASP.NET Core host (<c>--urls</c>, <c>--Bridge:...</c>).</param>
    /// <param name="overrides">Configuration that wins over every other source (tests use it).</param>
    /// <param name="configureServices">Runs after every area has registered its services, so tests can replace one (e.g. a fake broker).</param>
    public static WebApplication Build(
        string[] args,
        IReadOnlyDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.AddBridgeCore();
        builder.AddBridgeAuth();
        builder.AddBridgeBroker();
        builder.AddBridgeDocuments();
        builder.AddBridgeChannels();
        builder.AddBridgeLedger();
        builder.AddBridgeDemo();
        builder.AddBridgeNotifications();
        builder.AddBridgeObservability();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapBridgeObservability();
        app.MapBridgeEndpoints();
        return app;
    }
}
