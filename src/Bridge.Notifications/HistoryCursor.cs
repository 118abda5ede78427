using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Bridge.Kernel;

namespace Bridge.Notifications;

/// <summary>
/// A position in the history: the stored-at time and key of the last item of a page. The history is sorted
/// by (storedAt, key) descending and that pair is unique, so "everything strictly before this pair" is the
/// same set whatever arrives later: new messages land before the first page, never inside a later one.
/// Clients see it as an opaque base64url token.
/// </summary>
internal sealed record HistoryCursor(string StoredAt, string Key)
{
    public const int MaxKeyLength = 64;

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{StoredAt}|{Key}"));

    public static bool TryDecode(string? token, [NotNullWhen(true)] out HistoryCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(token) || token.Length > 256 || !Base64Url.IsValid(token))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var bar = text.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return false;
        }

        var storedAt = text[..bar];
        var key = text[(bar + 1)..];
        if (!IsoTime.TryParse(storedAt, out var at) || IsoTime.Format(at) != storedAt
            || key.Length is 0 or > MaxKeyLength || !key.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        cursor = new HistoryCursor(storedAt, key);
        return true;
    }
}
