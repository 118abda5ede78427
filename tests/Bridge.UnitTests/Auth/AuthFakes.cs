using Bridge.Auth;
using Bridge.Kernel;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Auth;

internal sealed record LogEntry(LogLevel Level, EventId EventId, string Message);

internal sealed class ListLogger<T> : ILogger<T>
{
    public List<LogEntry> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception)));
}

/// <summary>Builds the auth services by hand, with no I/O: the signing key is configured, never read from disk.</summary>
internal static class AuthFakes
{
    public const string PublicUrl = "http://bridge.test";

    public static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    // The minimum count keeps the tests quick; the hash format is the same.
    public static string Hash(string password) => PasswordHasher.Create(password, PasswordHasher.MinimumIterations).ToString();

    public static AccountEntry Entry(string name, string password, bool isAdmin = false) =>
        new() { Name = name, PasswordHash = Hash(password), IsAdmin = isAdmin };

    public static AccountDirectory Directory(
        IEnumerable<AccountEntry> entries,
        bool embedded = false,
        string publicUrl = PublicUrl,
        ILogger<AccountDirectory>? logger = null)
    {
        var options = new AccountsOptions();
        options.Accounts.AddRange(entries);
        return new AccountDirectory(
            Options.Create(options),
            Options.Create(new BridgeOptions { PublicUrl = publicUrl }),
            new BridgeMode(HasRabbitMq: !embedded, HasMongo: !embedded),
            logger ?? new ListLogger<AccountDirectory>());
    }

    public static TokenService Tokens(
        AccountDirectory accounts,
        TimeProvider time,
        string signingKey = "",
        TimeSpan? maxAge = null,
        TimeSpan? clockSkew = null)
    {
        var bridgeOptions = Options.Create(new BridgeOptions { PublicUrl = accounts.PublicUrl });
        var environment = new HostingEnvironment { ContentRootPath = Path.GetTempPath() };
        return new TokenService(
            accounts,
            Options.Create(new AuthOptions
            {
                SigningKey = signingKey.Length == 0 ? SigningKey : signingKey,
                TokenMaxAge = maxAge ?? TimeSpan.FromDays(7),
                ClockSkew = clockSkew ?? new AuthOptions().ClockSkew,
            }),
            new DataDirectory(bridgeOptions, environment),
            time,
            new ListLogger<TokenService>());
    }

    public static PasswordAttemptGuard Guard(AccountDirectory accounts, AuthOptions? options = null) =>
        new(accounts, Options.Create(options ?? new AuthOptions()), TimeProvider.System);
}
