using System.Globalization;

namespace Bridge.Broker.Recovery;

/// <summary>
/// A watch frame's <c>"position"</c>: <c>&lt;epoch&gt;-&lt;offset&gt;</c>. Clients treat it as opaque; the bridge
/// parses it strictly, so that garbage is refused rather than taken for the start of the log.
/// </summary>
public readonly record struct RecoveryPosition(string Epoch, long Offset)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{Offset}");

    public static bool TryParse(string? text, out RecoveryPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        var dash = text.LastIndexOf('-');
        if (dash <= 0 || dash == text.Length - 1)
        {
            return false;
        }

        var epoch = text[..dash];
        foreach (var c in epoch)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        if (!long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return false;
        }

        position = new RecoveryPosition(epoch, offset);
        return true;
    }
}
