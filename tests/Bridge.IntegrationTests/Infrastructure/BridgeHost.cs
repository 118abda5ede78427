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

    /// <param name="settings">Configuration overrides.</param>
    /// <param name="dataDirectory">A data directory to reuse (e.g. to keep the signing key across a restart); a new one when null.</param>
    /// <param name="port">0 for a free port; a fixed one to start a new host where a stopped one was (restart tests).</param>
    public static async Task<BridgeHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string? dataDirectory = null, int port = 0)
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

        var app = BridgeApplication.Build(["--urls", $"http://127.0.0.1:{port}"], overrides);
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
