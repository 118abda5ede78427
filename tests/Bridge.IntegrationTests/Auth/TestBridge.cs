using System.Collections.Concurrent;
using Bridge.Hosting;
using Microsoft.Extensions.Logging;

namespace Bridge.IntegrationTests.Auth;

/// <summary>
/// A real bridge on a free loopback port with its own data directory and an HttpClient pointed at it.
/// Every await on it is bounded so a hang fails the test instead of stalling the run.
/// </summary>
internal sealed class TestBridge : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;

    private TestBridge(WebApplication app, Uri baseAddress, string dataDirectory, CapturingLoggerProvider logs)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Logs = logs;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout };
    }

    public HttpClient Client { get; }

    public string DataDirectory { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    public static WebApplication Build(
        IReadOnlyDictionary<string, string?> settings,
        string dataDirectory,
        Action<IServiceCollection>? configureServices = null,
        CapturingLoggerProvider? logs = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Bridge:DataDirectory"] = dataDirectory,
            ["Bridge:Demo:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Bridge"] = "Information",
        };
        foreach (var (key, value) in settings)
        {
            overrides[key] = value;
        }

        return BridgeApplication.Build(["--urls", "http://127.0.0.1:0"], overrides, services =>
        {
            if (logs is not null)
            {
                services.AddSingleton<ILoggerProvider>(logs);
            }

            configureServices?.Invoke(services);
        });
    }

    public static async Task<TestBridge> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? configureServices = null,
        string? dataDirectory = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("bridge-auth-test-").FullName;
        var logs = new CapturingLoggerProvider();
        var app = Build(settings, dataDirectory, configureServices, logs);
        try
        {
            await app.StartAsync().WaitAsync(Timeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Urls.Single(url => url.StartsWith("http://", StringComparison.Ordinal));
        return new TestBridge(app, new Uri(address), dataDirectory, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var timeout = new CancellationTokenSource(Timeout);
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

/// <summary>Keeps every log line so tests can read what the bridge told the operator.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, int EventId, string Message)> _entries = new();

    public IReadOnlyCollection<(string Category, LogLevel Level, int EventId, string Message)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<(string, LogLevel, int, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, eventId.Id, formatter(state, exception)));
    }
}
