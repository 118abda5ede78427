using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bridge.Auth;

/// <summary>Token settings under <c>Bridge:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Bridge:Auth";

    public const int MinimumSigningKeyBytes = 32;

    /// <summary>
    /// HS256 key, base64, at least 32 bytes. When absent a key is generated once and kept in the data
    /// directory (<c>signing-key</c>) so that tokens survive restarts. Instances that share tokens must share it.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long an issued token stays valid. Long by default: clients reconnect with the same token.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00",
        ErrorMessage = "Bridge:Auth:TokenMaxAge must be between {1} and {2}.")]
    public TimeSpan TokenMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How far past its expiry (or before its start) a token is still accepted, for clock drift between
    /// instances. Small on purpose: the JWT library's 5-minute default (30 s in earlier versions of this bridge)
    /// kept a revoked session alive that long (issue 11, item 8).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00",
        ErrorMessage = "Bridge:Auth:ClockSkew must be between {1} and {2}.")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
        options.SigningKey is null || TryDecodeSigningKey(options.SigningKey, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{AuthOptions.SectionName}:SigningKey must be base64 of at least {AuthOptions.MinimumSigningKeyBytes} bytes.");

    public static bool TryDecodeSigningKey(string text, out byte[] key)
    {
        key = [];
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written) || written < AuthOptions.MinimumSigningKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}
