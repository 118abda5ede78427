using Bridge.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bridge.UnitTests.Hosting;

public sealed partial class TokenRedactingLoggerTests
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Request starting {Path}{QueryString}")]
    private static partial void LogRequestStarting(ILogger logger, string path, string queryString);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Connection {Id} opened on {Path}")]
    private static partial void LogOpened(ILogger logger, int id, string path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "upgrade {Uri}")]
    private static partial void LogUpgrade(ILogger logger, Uri uri);

    private sealed class RecordingLogger : ILogger
    {
        public List<(string Message, IReadOnlyList<KeyValuePair<string, object?>> Values)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }

    private sealed class RecordingProvider(RecordingLogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }

    [Theory]
    [InlineData("GET http://h/nodes?token=eyJhbGciOi.x.y - -", "GET http://h/nodes?token=[redacted] - -")]
    [InlineData("/websocket?a=1&token=abc&b=2", "/websocket?a=1&token=[redacted]&b=2")]
    [InlineData("/nodes?TOKEN=abc#frag", "/nodes?TOKEN=[redacted]#frag")]
    [InlineData("/nodes?access_token=abc", "/nodes?access_token=abc")]
    [InlineData("no query here", "no query here")]
    public void Redact_ReplacesTheTokenParameterOnly(string text, string expected) =>
        Assert.Equal(expected, TokenRedactingLogger.Redact(text));

    [Fact]
    public void Log_RedactsTheMessageAndTheStructuredValues()
    {
        var inner = new RecordingLogger();
        var logger = new TokenRedactingLogger(inner);

        LogRequestStarting(logger, "/nodes", "?token=secret-jwt");

        var (message, values) = Assert.Single(inner.Entries);
        Assert.Equal("Request starting /nodes?token=[redacted]", message);
        Assert.DoesNotContain(values, pair => pair.Value?.ToString()?.Contains("secret-jwt", StringComparison.Ordinal) == true);
        Assert.Contains(values, pair => pair.Key == "QueryString" && (string?)pair.Value == "?token=[redacted]");
    }

    [Fact]
    public void Log_WithoutAToken_PassesTheEntryOnUnchanged()
    {
        var inner = new RecordingLogger();
        var logger = new TokenRedactingLogger(inner);

        LogOpened(logger, 7, "/nodes");

        var (message, values) = Assert.Single(inner.Entries);
        Assert.Equal("Connection 7 opened on /nodes", message);
        Assert.Contains(values, pair => pair.Key == "Id" && (int?)pair.Value == 7);
    }

    [Fact]
    public void Register_WrapsTheLoggerFactoryThatEveryLoggerComesFrom()
    {
        var inner = new RecordingLogger();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new RecordingProvider(inner)));
        TokenRedactingLoggerFactory.Register(services);
        using var provider = services.BuildServiceProvider();

        LogUpgrade(provider.GetRequiredService<ILogger<TokenRedactingLoggerTests>>(), new Uri("ws://h/nodes?token=abc"));

        Assert.Equal("upgrade ws://h/nodes?token=[redacted]", Assert.Single(inner.Entries).Message);
    }
}
