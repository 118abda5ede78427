namespace Bridge.Hosting;

/// <summary>The composition root, shared by <c>Program</c> and the integration tests.</summary>
internal static class BridgeApplication
{
    /// <param name="args">Command line, as for any ASP.NET Core host (<c>--urls</c>, <c>--Bridge:...</c>).</param>
    /// <param name="overrides">Configuration that wins over every other source (tests use it).</param>
    /// <param name="configureServices">Runs after every area has registered its services, so tests can replace one (e.g. a fake broker).</param>
    public static WebApplication Build(
        string[] args,
        IReadOnlyDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppFolderUnlessConfigured(args),
        });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        ListenOnDefaultUrlUnlessConfigured(builder);

        builder.AddBridgeCore();
        builder.AddBridgeAuth();
        builder.AddBridgePublishing();
        builder.AddBridgeBroker();
        builder.AddBridgeRecovery();
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

    /// <summary>The address when neither <c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>*_HTTP(S)_PORTS</c> nor <c>Kestrel:Endpoints</c> chose one.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    // The content root is the app's folder, not the working directory, so that appsettings.json (and with it
    // the log levels that keep request lines out of the log) is found wherever the bridge is started from
    // (issue 11 item 9). An explicit --contentRoot / ASPNETCORE_CONTENTROOT still wins.
    private static string? AppFolderUnlessConfigured(string[] args)
    {
        var configured = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[WebHostDefaults.ContentRootKey];
        return string.IsNullOrEmpty(configured) ? AppContext.BaseDirectory : null;
    }

    // The default address used to sit in appsettings.json as "Urls", which is read after ASPNETCORE_URLS and so
    // overrode it. Applied here only when nothing else chose an address, every documented way of choosing wins.
    private static void ListenOnDefaultUrlUnlessConfigured(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
            && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }
}
