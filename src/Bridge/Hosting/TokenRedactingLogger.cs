using System.Text.RegularExpressions;

namespace Bridge.Hosting;

/// <summary>
/// Replaces the value of every <c>token</c> query parameter (<c>?token=…</c>, <c>&amp;token=…</c>) in a log
/// entry's message and in its structured values with <c>[redacted]</c> before the entry reaches a provider.
/// </summary>
internal sealed partial class TokenRedactingLogger(ILogger inner) : ILogger
{
    public const string Redacted = "[redacted]";

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (!HasToken(message) && !HasTokenValue(state))
        {
            // Formatted once: the providers are handed the message already built.
            inner.Log(logLevel, eventId, state, exception, (_, _) => message);
            return;
        }

        var redactedMessage = Redact(message);
        IReadOnlyList<KeyValuePair<string, object?>> values = state is IReadOnlyList<KeyValuePair<string, object?>> pairs
            ? [.. pairs.Select(static pair => pair.Value is null ? pair : new KeyValuePair<string, object?>(pair.Key, RedactValue(pair.Value)))]
            : [];
        inner.Log(logLevel, eventId, values, exception, (_, _) => redactedMessage);
    }

    /// <summary>The text with the value of every <c>token</c> query parameter replaced by <see cref="Redacted"/>.</summary>
    public static string Redact(string text) => HasToken(text) ? TokenParameter().Replace(text, Redacted) : text;

    private static bool HasToken(string text) => text.Contains("token=", StringComparison.OrdinalIgnoreCase);

    private static bool HasTokenValue<TState>(TState state) =>
        state is IReadOnlyList<KeyValuePair<string, object?>> pairs
        && pairs.Any(static pair => pair.Value is not null and not string { Length: < 6 } && HasToken(pair.Value.ToString() ?? ""));

    // A QueryString, a PathString, a Uri or a string: each is logged through ToString().
    private static object? RedactValue(object value) =>
        value is string or QueryString or Uri or PathString && value.ToString() is { } text && HasToken(text) ? Redact(text) : value;

    // The value runs to the next parameter, fragment, space or quote; the name is matched as a whole parameter.
    [GeneratedRegex(@"(?<=[?&;]token=)[^&#\s""'<>]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenParameter();
}
