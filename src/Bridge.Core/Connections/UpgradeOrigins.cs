using System.Globalization;

namespace Bridge.Connections;

/// <summary>Origins as browsers send them (<c>scheme://host[:port]</c>, RFC 6454), compared in one normal form.</summary>
internal static class UpgradeOrigins
{
    /// <summary><c>scheme://host:port</c> in lower case with the port always spelled out, or null when <paramref name="text"/> is no origin.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https" or "ws" or "wss")
            || uri.AbsolutePath is not ("/" or "")
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0
            || uri.UserInfo.Length > 0)
        {
            return null;
        }

        // A page at https://h opens wss://h: both are the same site for this purpose.
        var scheme = uri.Scheme switch { "ws" => "http", "wss" => "https", var other => other };
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}");
    }
}
