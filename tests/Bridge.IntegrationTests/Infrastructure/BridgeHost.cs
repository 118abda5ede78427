using Bridge.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>A real bridge (Kestrel on a free loopback port) for one test class, with its own data directory.</summary>
public sealed class BridgeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BridgeHost(WebApplication app, Uri baseUri, string dataDirectory)
    {
        _app = app;
        BaseUri = baseUri;
        DataDirectory = dataDirectory;
    }

    public Uri BaseUri { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>ws://127.0.0.1:port/{path}</summary>
    public Uri WebSocketUri(string pathAndQuery) => new($"ws://{BaseUri.Authority}/{pathAndQuery.TrimStart('/')}");

    /// <summary>Starts a bridge on <paramref name="port"/> of 127.0.0.1 (restart tests reuse a stopped host's port).</summary>
    public static Task<BridgeHost> StartAsync(IReadOnlyDictionary<string, string?>? settings, string? dataDirectory, int port) =>
        StartAsync(settings, dataDirectory, new Uri($"http://127.0.0.1:{port}"));

    /// <param name="settings">Configuration overrides.</param>
    /// <param name="dataDirectory">Reuse a data directory (a restart keeps its state); a new temp folder by default.</param>
    /// <param name="url">Listen here instead of a free port, e.g. a stopped host's <see cref="BaseUri"/> to restart "the same" bridge.</param>
    /// <param name="configureServices">Replaces services after the bridge registered its own (e.g. a store that can be paused).</param>
    public static async Task<BridgeHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        string? dataDirectory = null,
        Uri? url = null,
        Action<IServiceCollection>? configureServices = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("bridge-test-").FullName;
        var overrides = new Dictionary<string, string?>
        {
            ["Bridge:DataDirectory"] = dataDirectory,
            ["Bridge:Demo:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var app = BridgeApplication.Build(["--urls", url?.GetLeftPart(UriPartial.Authority) ?? "http://127.0.0.1:0"], overrides, configureServices);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new BridgeHost(app, new Uri(address), dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
