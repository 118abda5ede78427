using System.Globalization;

namespace Bridge.Notifications;

/// <summary>The one timestamp format of the history: ISO-8601 UTC with milliseconds, which also sorts as text.</summary>
internal static class NotificationTime
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Parses an ISO-8601 time; one without an offset is taken as UTC.</summary>
    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
        && text!.Contains('T', StringComparison.Ordinal);
}
