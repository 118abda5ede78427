using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bridge.Webhooks;

/// <summary>
/// Standard Webhooks signing (standardwebhooks.com): <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of
/// "{webhook-id}.{webhook-timestamp}.{body}"&gt;</c>, keyed with the bytes of the secret <c>whsec_&lt;base64&gt;</c>.
/// During a secret rotation each key signs and the signatures are separated by spaces, so a receiver that
/// holds either secret verifies. Every language has a library that checks this; we do not ask receivers to
/// copy a recipe of ours.
/// </summary>
internal static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";

    /// <summary>Secret length in bytes: the spec asks for 24 to 64.</summary>
    public const int SecretBytes = 32;

    /// <summary>A new secret, <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>
    /// The HMAC key of a secret: the base64 after <c>whsec_</c>, as the libraries decode it. Secrets stored
    /// before Standard Webhooks (64 hex digits, no prefix) decode the same way a library would decode them.
    /// </summary>
    public static byte[] KeyOf(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        return Convert.FromBase64String(encoded);
    }

    /// <summary>The <c>webhook-signature</c> value: one <c>v1,&lt;base64&gt;</c> per key, space-separated (see below for a repeat).</summary>
    public static string Sign(IReadOnlyList<byte[]> keys, string id, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (keys.Count == 0)
        {
            throw new ArgumentException("at least one key signs", nameof(keys));
        }

        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp.ToUnixTimeSeconds()}."));
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var signatures = new StringBuilder();
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, signed, mac);
            if (signatures.Length > 0)
            {
                signatures.Append(' ');
            }

            signatures.Append("v1,").Append(Convert.ToBase64String(mac));
        }

        if (keys.Count > 1)
        {
            // The .NET StandardWebhooks package (1.1.2) never looks at the last entry of a list of several: the
            // first signature is repeated at the end so that every entry that matters is read by it too. Other
            // libraries check each entry, and a repeated one is just one more match.
            HMACSHA256.HashData(keys[0], signed, mac);
            signatures.Append(" v1,").Append(Convert.ToBase64String(mac));
        }

        return signatures.ToString();
    }
}
