using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>
/// The host's logger factory with every logger wrapped in a <see cref="TokenRedactingLogger"/>: whatever logs a
/// request line (hosting diagnostics' "Request starting GET /nodes?token=...", HTTP logging, Kestrel), at
/// whatever level an operator turns on, the token never reaches a log (issue 11 item 9).
/// </summary>
/// <remarks>
/// The factory is wrapped rather than each provider so that provider-specific filter rules
/// (<c>Logging:Console:LogLevel</c>) still apply: they are matched on the provider's own type.
/// </remarks>
internal sealed class TokenRedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public static void Register(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(static provider => new TokenRedactingLoggerFactory(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>()))));

    public ILogger CreateLogger(string categoryName) => new TokenRedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
