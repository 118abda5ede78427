using System.Security.Cryptography;
using System.Text;

namespace Bridge.Webhooks;

/// <summary>
/// <c>X-Bridge-Signature: sha256=&lt;hex&gt;</c>: the HMAC-SHA256 of the exact body bytes with the subscription's
/// secret (its UTF-8 bytes), lower-case hex. Receivers recompute it and compare in constant time.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Bridge-Signature";
    public const string Prefix = "sha256=";

    public static string Compute(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, mac);
        return Prefix + Convert.ToHexStringLower(mac);
    }

    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header)
    {
        if (string.IsNullOrEmpty(secret) || header is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(secret, body));
        var actual = Encoding.ASCII.GetBytes(header.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>A new secret: 32 random bytes as hex.</summary>
    public static string NewSecret() => RandomNumberGenerator.GetHexString(64, lowercase: true);
}
