using System.Globalization;

namespace Bridge.Kernel;

/// <summary>
/// The one way the bridge writes a time in JSON: ISO-8601 UTC with milliseconds (<c>2024-03-01T08:00:00.000Z</c>),
/// as RackHD serializes dates and as the history stores them. Fixed width, so such times also sort as text.
/// </summary>
public static class IsoTime
{
    /// <summary>The exact form <see cref="Format(DateTimeOffset)"/> writes.</summary>
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    public static string Format(DateTime time) => time.ToUniversalTime().ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Parses any ISO-8601 date and time (a client's query parameter); one without an offset is taken as UTC.</summary>
    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
        && text!.Contains('T', StringComparison.Ordinal);

    /// <summary>Parses only the exact form <see cref="Format(DateTimeOffset)"/> writes.</summary>
    public static bool TryParseExact(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
